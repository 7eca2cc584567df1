import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from './finding.js';
import { dueAlerts, parseWatchState, REMIND_AFTER_MS, spambotAlert } from './spambot-watch-rules.js';

const bot = (evidence = 'pid 4242 (perl /tmp/.x/m.pl) as www-data → 203.0.113.9:25'): Finding => ({
  id: 'mail.smtp-connections',
  severity: 'critical',
  title: 'A process other than the MTA is talking SMTP to port 25',
  evidence,
  expected: 'only the MTA connects to remote port 25',
  fix: 'stop it: kill 4242',
});
const queue: Finding = {
  id: 'mail.queue',
  severity: 'warning',
  title: 'The queue is large',
  evidence: '900 messages',
  expected: '',
  fix: '',
};

describe('spambot watch rules', () => {
  it('alerts on a new critical finding once, then reminds after a day while it lasts', () => {
    const t0 = 1_800_000_000_000;
    const first = dueAlerts({ alerted: {} }, { findings: [bot(), queue], passed: [] }, t0);
    assert.deepEqual(
      first.due.map((f) => f.id),
      ['mail.smtp-connections'],
      'warnings are not mailed',
    );
    const again = dueAlerts(first.next, { findings: [bot('pid 4242 … and 3 more')], passed: [] }, t0 + 600_000);
    assert.deepEqual(again.due, [], 'the same episode is mailed once');
    assert.equal(again.next.alerted['mail.smtp-connections']?.at, t0);
    const reminder = dueAlerts(again.next, { findings: [bot()], passed: [] }, t0 + REMIND_AFTER_MS);
    assert.equal(reminder.due.length, 1);
  });

  it('ends the episode when the check passes or drops below critical, and keeps it when the check could not run', () => {
    const t0 = 1_800_000_000_000;
    const { next } = dueAlerts({ alerted: {} }, { findings: [bot()], passed: [] }, t0);
    const notRun = dueAlerts(next, { findings: [], passed: [] }, t0 + 1000);
    assert.ok(notRun.next.alerted['mail.smtp-connections'], 'a skipped check keeps what was known');
    const passed = dueAlerts(next, { findings: [], passed: [{ id: 'mail.smtp-connections' }] }, t0 + 1000);
    assert.deepEqual(passed.next.alerted, {});
    assert.equal(
      dueAlerts(passed.next, { findings: [bot()], passed: [] }, t0 + 2000).due.length,
      1,
      'the next appearance is mailed at once',
    );
    const lowered = dueAlerts(next, { findings: [{ ...bot(), severity: 'suggestion' }], passed: [] }, t0 + 1000);
    assert.deepEqual(lowered.next.alerted, {});
  });

  it('reads a stored state and shrugs off a damaged one', () => {
    assert.deepEqual(parseWatchState(undefined), { alerted: {} });
    assert.deepEqual(parseWatchState('{not json'), { alerted: {} });
    assert.deepEqual(parseWatchState('{"alerted":{"a":{"at":"x"},"b":{"at":5,"evidence":"e"}}}'), {
      alerted: { b: { at: 5, evidence: 'e' } },
    });
  });

  it('tells the owner what was seen and what to do now', () => {
    const { subject, text } = spambotAlert([bot()], 'shop-1');
    assert.equal(subject, 'Listwarden: shop-1 is sending mail Listwarden did not send');
    assert.match(text, /pid 4242 \(perl \/tmp\/\.x\/m\.pl\) as www-data/);
    assert.match(text, /postsuper -h ALL/);
    assert.match(text, /meta skuid != postfix reject/);
    assert.match(text, /kill 4242/);
  });
});
