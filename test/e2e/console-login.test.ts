import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { checkPage, chromiumSkip, launchChromium } from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postForm, request } from '../helpers/http.js';
import {
  cli,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const OWNER = { email: 'owner@shop.test', password: 'correct horse battery staple' };

/**
 * The console's door (issue 14, first part): the setup link `serve` prints for the first owner,
 * sign-in by keyboard, sessions, the forms' CSRF tokens, the lockout, and the pages checked with axe.
 */
describe('the console: first owner, sign-in and sessions, in a real browser', { skip: chromiumSkip }, () => {
  let fresh: TestDatabase;
  let instance: Instance;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  // Signed-in pages kept for later tests (the login allows 10 posts a minute per address).
  const signedIn = new Map<string, Page>();
  const problems: string[] = [];
  const check = async (name: string) => {
    for (const v of await checkPage(browser, await page.content(), server.url, name))
      problems.push(`${name}: ${v.id} ${v.help} at ${v.targets.join(', ')}`);
  };

  before(async () => {
    fresh = await sqlite.fresh();
    instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
    assert.equal(
      (await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test'])).code,
      0,
    );
    server = await startServer(instance);
    browser = await launchChromium();
    page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await fresh?.drop();
    instance?.cleanup();
  });

  it('prints a one-time setup link; the first owner is made by keyboard and signed in', async () => {
    const link = /No console user yet[^\n]*\n\s+(http:\/\/\S+\/setup\/[A-Za-z0-9_-]+)/.exec(server.logs())?.[1];
    assert.ok(link, server.logs());
    assert.doesNotMatch(
      server
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .join('\n'),
      /\/setup\//,
      'not in the log',
    );
    assert.match((await request(`${server.url}/`)).text, /Listwarden is running/, 'no user yet: the start page');
    await page.goto(link);
    await check('setup');
    await page.keyboard.press('Tab'); // the email field is the first control after the hidden token
    await page.keyboard.type(OWNER.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(OWNER.password);
    await page.keyboard.press('Tab');
    await page.keyboard.type(OWNER.password);
    await Promise.all([page.waitForURL(`${server.url}/console`), page.keyboard.press('Enter')]);
    assert.match((await page.textContent('body')) ?? '', /Signed in as owner@shop\.test \(owner\)/);
    assert.match((await page.textContent('body')) ?? '', /Dashboard[\s\S]*Needs attention[\s\S]*The last 30 days/);
    assert.match(
      (await page.textContent('body')) ?? '',
      /Nothing needs you now: no campaign stopped or paused[^.]*\.\s+Sending now\s+No campaign is sending\./,
    );
    await check('console');
    // The link worked once.
    assert.equal((await request(link)).status, 410);
  });

  it('signs out, and / is the login page; a wrong password is one sentence, five lock the account', async () => {
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('text=Sign out')]);
    assert.match((await page.textContent('h1')) ?? '', /Sign in/);
    await check('login');
    assert.equal((await request(`${server.url}/console`)).status, 303, 'no session: back to the login');
    await page.fill('#email', OWNER.email);
    await page.fill('#password', 'not the password at all');
    await page.click('button[type=submit]');
    assert.equal(await page.textContent('[role=alert]'), 'The email address or the password is not right.');
    await check('login-error');
    for (let i = 0; i < 4; i++) {
      await page.fill('#password', `wrong password number ${i}`);
      await page.click('button[type=submit]');
    }
    await page.fill('#password', OWNER.password);
    await page.click('button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /locked for 15 more minutes/);
  });

  it('refuses a login form that did not come from our page (CSRF), and a user made with the CLI signs in', async () => {
    const forged = await postForm(`${server.url}/login`, { email: 'viewer@shop.test', password: 'x'.repeat(12) });
    assert.equal(forged.status, 403);
    assert.match(forged.text, /The form was out of date/);
    const made = await cli(instance, [
      'users',
      'create',
      '--email',
      'viewer@shop.test',
      '--role',
      'viewer',
      '--password',
      'a viewer password',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const short = await cli(instance, [
      'users',
      'create',
      '--email',
      'x@shop.test',
      '--role',
      'owner',
      '--password',
      'short',
    ]);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 12 characters/);
    const fresh = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await fresh.goto(`${server.url}/`);
    await fresh.fill('#email', 'viewer@shop.test');
    await fresh.fill('#password', 'a viewer password');
    await Promise.all([fresh.waitForURL(`${server.url}/console`), fresh.click('button[type=submit]')]);
    assert.match((await fresh.textContent('body')) ?? '', /\(viewer\)/);
    signedIn.set('viewer', fresh);
    const cookies = await fresh.context().cookies();
    const session = cookies.find((c) => c.name === 'lw_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Lax', JSON.stringify(session));
    const listed = JSON.parse((await cli(instance, ['users', 'list', '--json'])).stdout) as {
      users: Array<{ email: string; locked: boolean }>;
    };
    assert.deepEqual(
      listed.users.map((u) => [u.email, u.locked]),
      [
        ['owner@shop.test', true],
        ['viewer@shop.test', false],
      ],
    );
  });

  it("lets everyone read the settings and only the owner change them, with the session's form token", async () => {
    const signIn = async (email: string, role: string, password: string) => {
      const made = await cli(instance, ['users', 'create', '--email', email, '--role', role, '--password', password]);
      assert.equal(made.code, 0, made.stderr);
      const p = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
      await p.goto(`${server.url}/`);
      await p.fill('#email', email);
      await p.fill('#password', password);
      await Promise.all([p.waitForURL(`${server.url}/console`), p.click('button[type=submit]')]);
      return p;
    };
    const editor = await signIn('editor@shop.test', 'editor', 'an editor password');
    signedIn.set('editor', editor);
    await editor.goto(`${server.url}/console/settings`);
    assert.match((await editor.textContent('body')) ?? '', /Only an owner changes settings/);
    // An editor's own, valid form token: still not an owner.
    const cookie = (await editor.context().cookies()).find((c) => c.name === 'lw_session')!.value;
    const csrf = await editor.getAttribute('input[name=_csrf]', 'value');
    const asEditor = await postForm(
      `${server.url}/console/settings`,
      { _csrf: csrf ?? '', key: 'postal_address', value: 'Editor Street 1' },
      { cookie: `lw_session=${cookie}` },
    );
    assert.equal(asEditor.status, 403);
    assert.match(asEditor.text, /needs the owner role; you are signed in as editor/);

    const owner = await signIn('owner2@shop.test', 'owner', 'a second owner password');
    signedIn.set('owner', owner);
    await owner.goto(`${server.url}/console/settings`);
    page = owner;
    await check('settings');
    const ownerCookie = (await owner.context().cookies()).find((c) => c.name === 'lw_session')!.value;
    const forged = await postForm(
      `${server.url}/console/settings`,
      { _csrf: 'x'.repeat(43), key: 'postal_address', value: 'Forged Street 1' },
      { cookie: `lw_session=${ownerCookie}` },
    );
    assert.equal(forged.status, 403, 'no form token of this session, no change');
    assert.match(forged.text, /did not come from this console/);
    await owner.selectOption('#key', 'postal_address');
    await owner.fill('#value', 'Shop BV, Console Street 1');
    await Promise.all([owner.waitForURL(/saved=postal_address/), owner.click('button:has-text("Save")')]);
    assert.match((await owner.textContent('[role=status]')) ?? '', /Saved postal_address/);
    await check('settings-saved');
    const history = JSON.parse((await cli(instance, ['settings', 'history', '--json'])).stdout) as {
      changes: Array<{ key: string; new: string; actor: string }>;
    };
    assert.deepEqual(
      history.changes.map((c) => [c.key, c.new, c.actor]),
      [['postal_address', 'Shop BV, Console Street 1', 'console (owner2@shop.test)']],
      "only the owner's change, with who made it",
    );
    await owner.selectOption('#key', 'guard.complaint_rate');
    await owner.fill('#value', 'lots');
    await owner.click('button:has-text("Save")');
    assert.match((await owner.textContent('[role=alert]')) ?? '', /guard\.complaint_rate/);
  });

  it('lets the owner make a DKIM key, an API key (shown once, revocable) and a user from the settings page', async () => {
    const owner = page; // the second owner, signed in above
    await owner.goto(`${server.url}/console/settings`);
    await owner.fill('#dkim-domain', 'shop.test');
    await owner.fill('#dkim-selector', 'c1');
    await Promise.all([owner.waitForURL(/saved=/), owner.click('button:has-text("Make a DKIM key")')]);
    assert.match((await owner.textContent('[role=status]')) ?? '', /Saved DKIM key c1\._domainkey\.shop\.test/);
    assert.match(await owner.inputValue('#record-1'), /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    const listed = JSON.parse((await cli(instance, ['dkim', 'list', '--json'])).stdout) as {
      keys: Array<{ selector: string }>;
    };
    assert.deepEqual(
      listed.keys.map((k) => k.selector),
      ['c1'],
      'the same store as the CLI',
    );

    await owner.fill('#key-name', 'shop backend');
    await owner.click('button:has-text("Create an API key")');
    const key = await owner.inputValue('#new-key');
    assert.match(key, /^lw_/);
    await check('settings-new-key');
    const withKey = () =>
      request(`${server.url}/api/v1/settings/postal_address`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await withKey()).status, 200);
    await owner.goto(`${server.url}/console/settings`);
    assert.equal(await owner.locator('#new-key').count(), 0, 'shown once');
    await Promise.all([owner.waitForURL(/saved=/), owner.click('button:has-text("Revoke shop backend")')]);
    assert.equal((await withKey()).status, 403);

    await owner.fill('#user-email', 'helper@shop.test');
    await owner.selectOption('#user-role', 'editor');
    await owner.fill('#user-password', 'a helper password');
    await Promise.all([owner.waitForURL(/saved=/), owner.click('button:has-text("Add the user")')]);
    assert.match((await owner.textContent('#users + table')) ?? '', /helper@shop\.test\s*editor/);
  });

  it('shows the lists with counts and embed code to everyone; editors create lists, viewers cannot', async () => {
    const viewer = signedIn.get('viewer')!;
    await viewer.goto(`${server.url}/console/lists`);
    assert.match(await viewer.inputValue('#embed-news'), /<form[^>]+action="http:\/\/127\.0\.0\.1:\d+\/s\/news"/);
    assert.equal(await viewer.locator('#slug').count(), 0, 'no create form for a viewer');
    const cookie = (await viewer.context().cookies()).find((c) => c.name === 'lw_session')!.value;
    const csrf = (await viewer.getAttribute('input[name=_csrf]', 'value')) ?? '';
    const refused = await postForm(
      `${server.url}/console/lists`,
      { _csrf: csrf, slug: 'sneaky', name: 'Sneaky', from: 'x@shop.test' },
      { cookie: `lw_session=${cookie}` },
    );
    assert.equal(refused.status, 403);

    const editor = signedIn.get('editor')!;
    await editor.goto(`${server.url}/console/lists`);
    await editor.fill('#slug', 'deals');
    await editor.fill('#name', 'Deals');
    await editor.fill('#from', 'Shop Deals <deals@shop.test>');
    await editor.fill('#consentText', 'Yes, send me the deals.');
    await Promise.all([editor.waitForURL(/saved=deals/), editor.click('button:has-text("Create the list")')]);
    assert.match((await editor.textContent('[role=status]')) ?? '', /Created the list deals/);
    page = editor;
    await check('lists');
    await editor.fill('#slug', 'Bad Slug');
    await editor.fill('#name', 'Bad');
    await editor.fill('#from', 'bad@shop.test');
    await editor.click('button:has-text("Create the list")');
    assert.match((await editor.textContent('[role=alert]')) ?? '', /slug/i);
    assert.equal(await editor.inputValue('#name'), 'Bad', 'what was typed is kept');
    const listed = JSON.parse((await cli(instance, ['lists', 'list', '--json'])).stdout) as Array<{ slug: string }>;
    assert.deepEqual(listed.map((l) => l.slug).sort(), ['deals', 'news']);
  });

  it('finds people by the start of their address, shows their timeline; only the owner erases, with the address typed', async () => {
    const csv = `${instance.dir}/people.csv`;
    (await import('node:fs')).writeFileSync(
      csv,
      'email,name,confirmed_at,confirm_ip\nann@example.test,Ann,2025-01-01T00:00:00Z,192.0.2.1\nanna@example.test,Anna,2025-01-01T00:00:00Z,192.0.2.2\nbob@example.test,Bob,2025-01-01T00:00:00Z,192.0.2.3\n',
    );
    assert.equal(
      (await cli(instance, ['import', csv, '--list', 'news', '--source', 'shop checkout', '--with-proof'])).code,
      0,
    );
    const viewer = signedIn.get('viewer')!;
    await viewer.goto(`${server.url}/console/subscribers`);
    await viewer.fill('#q', 'ANN');
    await viewer.click('button:has-text("Search")');
    const found = await viewer.locator('tbody td a').allTextContents();
    assert.deepEqual(found, ['ann@example.test', 'anna@example.test']);
    page = viewer;
    await check('subscribers');
    await viewer.click('text=ann@example.test');
    assert.match((await viewer.textContent('h1')) ?? '', /ann@example\.test/);
    assert.match((await viewer.textContent('main')) ?? '', /imported on news/);
    assert.equal(await viewer.locator('#confirm').count(), 0, 'no erase form for a viewer');
    await check('person');
    assert.doesNotMatch(server.logs(), /ann@example\.test/, 'no address in the log');

    const owner = signedIn.get('owner')!;
    await owner.goto(`${server.url}/console/person?email=ann%40example.test`);
    await owner.fill('#confirm', 'anna@example.test');
    await owner.click('button:has-text("Erase everything")');
    assert.match((await owner.textContent('[role=alert]')) ?? '', /nothing was erased/);
    await owner.fill('#confirm', 'ann@example.test');
    await owner.click('button:has-text("Erase everything")');
    assert.match((await owner.textContent('[role=status]')) ?? '', /Erased/);
    const gone = await cli(instance, ['subscribers', 'show', 'ann@example.test']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /There is no subscriber/);
    assert.equal((await cli(instance, ['subscribers', 'show', 'anna@example.test'])).code, 0, 'only the one typed');
  });

  it('shows campaigns to everyone; an editor sends (or reads the refusal), a viewer cannot send', async () => {
    const { writeFileSync } = await import('node:fs');
    const make = async (subject: string, html: string, ...more: string[]) => {
      const file = `${instance.dir}/${subject.replace(/\W+/g, '-')}.html`;
      writeFileSync(file, html);
      const made = await cli(instance, [
        'campaigns',
        'create',
        '--list',
        'news',
        '--subject',
        subject,
        '--html',
        file,
        ...more,
        '--json',
      ]);
      assert.equal(made.code, 0, made.stderr);
      return JSON.parse(made.stdout).id as number;
    };
    const good = await make(
      'Winter sale',
      '<p>Hello {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
    );
    // Without the branded layout (which carries the footer) the body itself must hold the opt-out.
    const bad = await make('No way out', '<p>Buy now</p>', '--layout', 'none');

    const viewer = signedIn.get('viewer')!;
    await viewer.goto(`${server.url}/console/campaigns`);
    assert.deepEqual(await viewer.locator('tbody td a').allTextContents(), ['No way out', 'Winter sale']);
    page = viewer;
    await check('campaigns');
    await viewer.goto(`${server.url}/console/campaigns/${good}`);
    assert.equal(await viewer.locator('button:has-text("send")').count(), 0, 'no send button for a viewer');
    const cookie = (await viewer.context().cookies()).find((c) => c.name === 'lw_session')!.value;
    const csrf = (await viewer.getAttribute('input[name=_csrf]', 'value')) ?? '';
    const refused = await postForm(
      `${server.url}/console/campaigns/${good}/send`,
      { _csrf: csrf },
      { cookie: `lw_session=${cookie}` },
    );
    assert.equal(refused.status, 403, 'a viewer cannot send');
    assert.equal(
      JSON.parse((await cli(instance, ['campaigns', 'status', String(good), '--json'])).stdout).status,
      'draft',
    );

    const editor = signedIn.get('editor')!;
    await editor.goto(`${server.url}/console/campaigns/${bad}`);
    await editor.click('button:has-text("Check and send now")');
    assert.match((await editor.textContent('[role=alert]')) ?? '', /no \{\{ unsubscribe_url \}\}/);
    await editor.goto(`${server.url}/console/campaigns/${good}`);
    // A test copy: only to a test address or a confirmed member, marked [TEST].
    await editor.fill('#to', 'stranger@example.test');
    await editor.click('button:has-text("Send a test")');
    assert.match((await editor.textContent('[role=alert]')) ?? '', /stranger@example\.test is neither/);
    await editor.fill('#to', 'anna@example.test');
    await editor.click('button:has-text("Send a test")');
    assert.match((await editor.textContent('[role=status]')) ?? '', /A test copy went to anna@example\.test/);
    const copies = await waitForMails(instance.captureDir, 'anna@example.test');
    assert.ok(copies.some((m) => m.parsed.subject === '[TEST] Winter sale'));
    await editor.click('button:has-text("Check and send now")');
    assert.match((await editor.textContent('[role=status]')) ?? '', /Checked and sending/);
    page = editor;
    await check('campaign');
    const mails = await waitForMails(instance.captureDir, 'anna@example.test', 2);
    assert.ok(mails.some((m) => m.parsed.subject === 'Winter sale'));

    // Scheduled for later (checked now), then cancelled, by keyboard.
    const later = await make(
      'Spring sale',
      '<p>Hello {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
    );
    await editor.goto(`${server.url}/console/campaigns/${later}`);
    await editor.focus('#at');
    await editor.keyboard.type('2030-03-01T09:00:00+01:00');
    await editor.keyboard.press('Enter');
    await editor.waitForLoadState();
    assert.match(
      (await editor.textContent('[role=status]')) ?? '',
      /Checked and scheduled for 2030-03-01T08:00:00\.000Z/,
    );
    assert.match((await editor.textContent('main')) ?? '', /scheduled · goes out at 2030-03-01T08:00:00\.000Z/);
    await editor.click('button:has-text("Cancel the campaign")');
    assert.match((await editor.textContent('[role=status]')) ?? '', /Cancelled/);
    assert.equal(
      JSON.parse((await cli(instance, ['campaigns', 'status', String(later), '--json'])).stdout).status,
      'cancelled',
    );
  });

  it('keeps each new console page to its role: viewers read, editors import and write campaigns, owners read the activity log', async () => {
    const cookieOf = async (role: string) =>
      `lw_session=${(await signedIn.get(role)!.context().cookies()).find((c) => c.name === 'lw_session')!.value}`;
    const viewer = await cookieOf('viewer');
    const editor = await cookieOf('editor');
    for (const path of ['/console/import', '/console/campaigns/new', '/console/activity']) {
      const answer = await request(`${server.url}${path}`, { headers: { cookie: viewer } });
      assert.equal(answer.status, 403, `${path} for a viewer`);
      assert.match(answer.text, /needs the (editor|owner) role; you are signed in as viewer/);
    }
    assert.equal((await request(`${server.url}/console/activity`, { headers: { cookie: editor } })).status, 403);
    for (const path of [
      '/console',
      '/console/lists/news',
      '/console/feedback',
      '/console/reputation',
      '/console/audit',
    ])
      assert.equal((await request(`${server.url}${path}`, { headers: { cookie: viewer } })).status, 200, path);
    // An upload without this session's form token is refused before the file is read.
    const form = new FormData();
    form.append('file', new Blob(['email\nsomeone@example.test\n'], { type: 'text/csv' }), 'people.csv');
    const upload = await request(`${server.url}/console/import`, {
      method: 'POST',
      body: form,
      headers: { cookie: editor },
    });
    assert.equal(upload.status, 403);
    assert.match(upload.text, /did not come from this console/);
    // A broken upload is the request's fault: a 400 with a sentence, never a 500.
    const editorPage = signedIn.get('editor')!;
    await editorPage.goto(`${server.url}/console/import`);
    const editorCsrf = (await editorPage.getAttribute('input[name=_csrf]', 'value')) ?? '';
    const broken = await request(`${server.url}/console/import`, {
      method: 'POST',
      headers: { cookie: editor, 'content-type': 'multipart/form-data; boundary=zzz' },
      body: `--zzz\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${editorCsrf}\r\n--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nemail\r\n`,
    });
    assert.equal(broken.status, 400, broken.text);
    assert.match(broken.text, /could not be read as a form with one CSV file/);
    // "Send later" with no time, or a time gone by, is refused: never sent at once.
    const draft = JSON.parse((await cli(instance, ['campaigns', 'list', '--status', 'draft', '--json'])).stdout)
      .campaigns as Array<{ id: number }>;
    if (draft[0]) {
      for (const at of ['', '2020-01-01T00:00:00Z']) {
        const later = await postForm(
          `${server.url}/console/campaigns/${draft[0].id}/schedule`,
          { _csrf: editorCsrf, at },
          { cookie: editor },
        );
        assert.equal(later.status, 400, at);
        assert.match(later.text, /Give a time in the future/);
      }
    }
    const owner = signedIn.get('owner')!;
    await owner.goto(`${server.url}/console/activity`);
    assert.match((await owner.textContent('main')) ?? '', /editor@shop\.test\s*import\.upload[\s\S]*refused \(403\)/);
  });

  it('finds no serious or critical accessibility problem on the console pages', () => {
    assert.deepEqual(problems, []);
  });
});
