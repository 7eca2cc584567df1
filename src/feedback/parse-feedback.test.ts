import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_VALUES as V, fixture, fixtureNames } from '../../test/helpers/feedback-fixtures.js';
import { parseFeedback, type ParsedFeedback } from './parse-feedback.js';

function parsed(name: string): ParsedFeedback {
  const result = parseFeedback(Buffer.from(fixture(name)));
  assert.ok(result.ok, `${name}: ${result.ok ? '' : result.reason}`);
  return result.report;
}

const BOUNCES: Array<[string, string, string, 'hard' | 'soft']> = [
  ['postfix-dsn.eml', 'postfix', '5.1.1', 'hard'],
  ['postfix-delayed.eml', 'postfix', '4.4.1', 'soft'],
  ['exim.eml', 'exim', '5.1.1', 'hard'],
  ['exim-quota.eml', 'exim', '5.2.2', 'soft'],
  ['qmail.eml', 'qmail', '5.1.1', 'hard'],
  ['exchange-o365.eml', 'exchange', '5.1.10', 'hard'],
  ['exchange-2003.eml', 'exchange', '5.1.1', 'hard'],
  ['gmail-dsn.eml', 'gmail', '5.1.1', 'hard'],
  ['gmail-legacy.eml', 'gmail', '5.1.1', 'hard'],
  ['yahoo.eml', 'yahoo', '5.1.1', 'hard'],
  ['sendmail.eml', 'sendmail', '5.1.1', 'hard'],
];

describe('parseFeedback on the fixture of every style', () => {
  it('has a fixture for every style it claims to read', () => {
    const names = fixtureNames();
    for (const [name] of BOUNCES) assert.ok(names.includes(name), name);
    for (const name of ['arf.eml', 'yahoo-cfl.eml', 'jmrp.eml', 'auto-reply.eml', 'vacation.eml'])
      assert.ok(names.includes(name), name);
  });

  for (const [name, style, status, classification] of BOUNCES) {
    it(`${name}: ${style} bounce, ${status}, ${classification}`, () => {
      const report = parsed(name);
      assert.equal(report.kind, 'bounce');
      assert.equal(report.style, style);
      assert.equal(report.recipients.length, 1, JSON.stringify(report.recipients));
      const [r] = report.recipients;
      assert.equal(r?.address?.toLowerCase(), V.RCPT);
      assert.equal(r?.status, status);
      assert.equal(r?.classification, classification);
      assert.equal(report.original?.messageId, V.MSGID, 'the original Message-ID is found');
      assert.equal(report.original?.returnPath, V.VERP, 'the original Return-Path (our VERP) is found');
    });
  }

  it('reads an RFC 5965 complaint with its recipient and our headers', () => {
    const report = parsed('arf.eml');
    assert.equal(report.kind, 'complaint');
    assert.equal(report.style, 'arf');
    assert.equal(report.complaint?.feedbackType, 'abuse');
    assert.equal(report.complaint?.sourceIp, '192.0.2.1');
    assert.equal(report.recipients[0]?.address, V.RCPT);
    assert.deepEqual(report.original, {
      returnPath: V.VERP,
      messageId: V.MSGID,
      feedbackId: '1:1:campaign:listwarden',
      to: V.RCPT,
    });
  });

  it('reads an X-ARF abuse report with its reporter, source and the reported message', () => {
    const report = parsed('x-arf.eml');
    assert.equal(report.kind, 'complaint');
    assert.equal(report.style, 'x-arf');
    assert.deepEqual(report.complaint, { feedbackType: 'spam', sourceIp: '192.0.2.1', reporter: 'abuse@isp.example' });
    assert.equal(report.original?.messageId, V.MSGID);
    assert.equal(report.recipients[0]?.address, V.RCPT);
  });

  it('reads a Yahoo CFL complaint, whose recipient is redacted, by our own headers', () => {
    const report = parsed('yahoo-cfl.eml');
    assert.equal(report.kind, 'complaint');
    assert.equal(report.style, 'yahoo-cfl');
    // No Original-Rcpt-To: the enclosed message's To is the recipient (redacted by Yahoo).
    assert.deepEqual(
      report.recipients.map((r) => r.address),
      ['redacted@yahoo.com'],
    );
    assert.equal(report.original?.returnPath, V.VERP);
    assert.equal(report.original?.messageId, V.MSGID);
  });

  it('reads a Microsoft JMRP complaint from X-HmXmrOriginalRecipient', () => {
    const report = parsed('jmrp.eml');
    assert.equal(report.kind, 'complaint');
    assert.equal(report.style, 'jmrp');
    assert.equal(report.recipients[0]?.address, V.RCPT);
    assert.equal(report.original?.messageId, V.MSGID);
  });

  it('knows out-of-office replies are not bounces', () => {
    for (const name of ['auto-reply.eml', 'vacation.eml']) {
      const report = parsed(name);
      assert.equal(report.kind, 'auto_reply', name);
      assert.equal(report.recipients[0]?.address, V.RCPT);
    }
  });

  it('refuses what it cannot read, with a reason', () => {
    for (const raw of ['', 'just some text without headers', 'From: a@b.test\r\nSubject: hello\r\n\r\nHi there!']) {
      const result = parseFeedback(raw);
      assert.equal(result.ok, false, raw);
      assert.ok(!result.ok && result.reason.length > 10);
    }
  });

  it('takes a policy block (5.7.x) as soft: the address is not at fault', () => {
    const raw = fixture('postfix-dsn.eml')
      .replace(/5\.1\.1/g, '5.7.1')
      .replace(/User Unknown/g, 'Service unavailable; client host blocked using zen.spamhaus.org');
    const result = parseFeedback(raw);
    assert.ok(result.ok);
    assert.equal(result.report.recipients[0]?.classification, 'soft');
  });
});
