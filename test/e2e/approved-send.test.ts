import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dnsmasqSkip, startDnsmasq, txtRecord, type DnsServer } from '../helpers/dnsmasq.js';
import {
  capturedMails,
  cli,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

const STORED_ADDRESS = 'Stored Street 1, Utrecht';
const CLI_ADDRESS = 'Shop BV, Keizersgracht 1, 1015 CJ Amsterdam';
const HTML =
  '{% layout "shop" %}{% block content %}<p>Hello {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>{% endblock %}';

/**
 * Issue 13: the server and the CLI run with different environments. What the CLI's checks
 * approved (template and layout, postal address, DKIM key) is what the server sends, signed; or
 * the server sends nothing and `campaigns status` says why.
 */
describe('a server with one environment, a CLI with another', { skip: dnsmasqSkip }, () => {
  let instance: Instance;
  let server: RunningServer;
  let dns: DnsServer;
  let layouts = '';
  let record = '';

  /** The CLI's shell: its own postal address and layouts folder, the server's URL. */
  const shell = (args: string[]) =>
    cli(
      {
        ...instance,
        env: {
          ...instance.env,
          LISTWARDEN_POSTAL_ADDRESS: CLI_ADDRESS,
          LISTWARDEN_LAYOUTS_DIR: layouts,
          LISTWARDEN_PUBLIC_URL: server?.url ?? 'http://127.0.0.1:9',
        },
      },
      args,
    );
  const ok = async (args: string[]) => {
    const r = await shell(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const campaign = async (subject: string) =>
    JSON.parse(
      await ok([
        'campaigns',
        'create',
        '--list',
        'news',
        '--subject',
        subject,
        '--html',
        join(instance.dir, 'mail.html'),
        '--json',
      ]),
    ).id as number;
  const status = async (id: number) => JSON.parse(await ok(['campaigns', 'status', String(id), '--json']));
  const until = async <T>(
    what: () => Promise<T>,
    done: (value: T) => boolean,
    label: string,
    withinMs = 20_000,
  ): Promise<T> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const value = await what();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${label}: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  before(async () => {
    instance = newInstance('sqlite::memory:', { LISTWARDEN_VERIFY_DOMAINS: 'false' });
    instance.env.LISTWARDEN_DATABASE_URL = `sqlite:${join(instance.dir, 'data', 'listwarden.db')}`;
    layouts = join(instance.dir, 'layouts');
    mkdirSync(layouts);
    writeFileSync(
      join(layouts, 'shop.liquid'),
      '<html><body><h1>Layout A</h1>{% block content %}{% endblock %}</body></html>',
    );
    writeFileSync(join(instance.dir, 'mail.html'), HTML);
    assert.equal((await cli(instance, ['init'])).code, 0);
    // The stored setting, which the server sees; the CLI's environment overrides it.
    await ok(['settings', 'set', 'postal_address', STORED_ADDRESS]);
    const key = JSON.parse(await ok(['dkim', 'generate', '--domain', 'shop.test', '--selector', 's1', '--json']));
    record = key.record.value;
    assert.match(record, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    dns = await startDnsmasq([txtRecord('s1._domainkey.shop.test', record)]);
    await ok(['lists', 'create', 'news', '--name', 'News', '--from', 'Shop <news@shop.test>']);
    const csv = join(instance.dir, 'people.csv');
    writeFileSync(csv, 'email,name,confirmed_at,confirm_ip\nann@example.test,Ann,2025-01-01T00:00:00Z,192.0.2.1\n');
    await ok(['import', csv, '--list', 'news', '--source', 'shop checkout', '--with-proof']);
    // The server's shell sets neither the postal address nor the layouts folder.
    server = await startServer(instance);
  });

  after(async () => {
    await server?.stop();
    await dns?.stop();
    instance?.cleanup();
  });

  it('sends what the CLI approved: its postal address and layout, signed with the stored key', async () => {
    const id = await campaign('Winter sale');
    const check = JSON.parse(await ok(['campaigns', 'check', String(id), '--json']));
    assert.equal(check.refusal, null);
    await ok(['campaigns', 'send', String(id)]);
    // The layout changes after the approval: the mail keeps the approved one.
    writeFileSync(
      join(layouts, 'shop.liquid'),
      '<html><body><h1>Layout B</h1>{% block content %}{% endblock %}</body></html>',
    );
    const [mail] = await waitForMails(instance.captureDir, 'ann@example.test');
    assert.equal(mail!.parsed.subject, 'Winter sale');
    assert.match(mail!.parsed.html || '', /Layout A/);
    assert.ok(mail!.parsed.text?.includes(CLI_ADDRESS), mail!.parsed.text);
    assert.ok((mail!.parsed.html || '').includes(CLI_ADDRESS), 'the approved address, not the stored one');
    assert.ok(!mail!.raw.includes(STORED_ADDRESS));
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([dns.address]);
    const verified = await dkimVerify(Buffer.from(mail!.raw.replace(/^Return-Path: [^\r]*\r\n/, '')), {
      resolver: (name, type) => resolver.resolve(name, type as 'TXT'),
    });
    assert.deepEqual(
      verified.results.map((r) => [r.status.result, r.selector, r.signingDomain]),
      [['pass', 's1', 'shop.test']],
    );
    await until(
      () => status(id),
      (s) => s.status === 'finished',
      'finished',
    );
  });

  it('sends nothing, and says why, when the approved key is gone before the send starts', async () => {
    const id = await campaign('Spring sale');
    // Far enough ahead for the two commands (each CLI start takes seconds on a slow machine; at
    // 10 s the scheduled start came first on a slow day and the test measured nothing).
    const at = Date.now() + 30_000;
    await ok(['campaigns', 'send', String(id), '--at', new Date(at).toISOString()]);
    await ok(['dkim', 'remove', '--domain', 'shop.test', '--selector', 's1', '--force']);
    assert.ok(
      Date.now() < at - 2_000,
      'the key was removed before the scheduled start (else this machine is too slow for the test)',
    );
    const view = await until(
      () => status(id),
      (s) => s.stopReason !== null,
      'a reason',
      60_000,
    );
    assert.equal(view.status, 'draft');
    assert.equal(view.total, 0);
    assert.match(view.stopReason, /cannot be signed as approved: the DKIM key s1\._domainkey\.shop\.test .* removed/);
    const mails = await capturedMails(instance.captureDir);
    assert.ok(!mails.some((m) => m.parsed.subject === 'Spring sale'));
  });

  it('says a campaign would go out unsigned, refuses it, and sends it unsigned only with --force', async () => {
    // No key for shop.test now: check says so, send refuses, --force sends unsigned.
    const id = await campaign('Summer sale');
    const checked = await shell(['campaigns', 'check', String(id), '--json']);
    assert.equal(checked.code, 1, 'check fails');
    const check = JSON.parse(checked.stdout);
    assert.match(check.refusal, /No DKIM key signs mail from shop\.test.*--force/);
    const refused = await shell(['campaigns', 'send', String(id)]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /would go out unsigned/);
    await ok(['campaigns', 'send', String(id), '--force']);
    const [mail] = (
      await until(
        () => capturedMails(instance.captureDir),
        (all) => all.some((m) => m.parsed.subject === 'Summer sale'),
        'the unsigned mail',
      )
    ).filter((m) => m.parsed.subject === 'Summer sale');
    assert.doesNotMatch(mail!.raw, /^DKIM-Signature:/m);
  });
});
