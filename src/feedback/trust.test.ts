import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeTrust, type TrustEvidence } from './trust.js';

const tied: TrustEvidence = {
  channel: 'smtp',
  tiedBy: 'verp',
  forgedVerp: false,
  sentTo: 'jane@example.com',
  messageId: '<m1@shop.test>',
  named: ['jane@example.com'],
};

describe('the trust rule for bounces and complaints', () => {
  it('a report tied to our message that names its recipient acts', () => {
    assert.deepEqual(judgeTrust(tied), { verified: true });
    assert.deepEqual(judgeTrust({ ...tied, tiedBy: 'message-id', named: ['JANE@example.com'] }), { verified: true });
  });

  it('a report tied to our message that names nobody, or a redacted address, acts (malformed DSN, ARF)', () => {
    assert.equal(judgeTrust({ ...tied, named: [] }).verified, true);
    assert.equal(judgeTrust({ ...tied, tiedBy: 'message-id', named: ['redacted@example.net'] }).verified, true);
  });

  it('a report with no token and no Message-ID of ours changes nothing, over SMTP, IMAP and from files', () => {
    for (const channel of ['smtp', 'imap', 'file'] as const) {
      const trust = judgeTrust({ ...tied, channel, tiedBy: undefined, sentTo: undefined, messageId: undefined });
      assert.deepEqual(trust, {
        verified: false,
        why: 'it names no message we sent (no verified VERP token, no Message-ID of ours)',
      });
    }
  });

  it('a made-up VERP token is named as such', () => {
    const trust = judgeTrust({ ...tied, tiedBy: undefined, forgedVerp: true, sentTo: undefined });
    assert.equal(trust.verified, false);
    assert.match(!trust.verified ? trust.why : '', /token that does not verify/);
  });

  it('a real token of another recipient changes nothing', () => {
    const trust = judgeTrust({ ...tied, named: ['victim@example.org'] });
    assert.equal(trust.verified, false);
    assert.match(!trust.verified ? trust.why : '', /victim@example\.org/);
  });

  it('the admin API and our own SMTP session act on their word', () => {
    for (const channel of ['api', 'session'] as const) {
      assert.deepEqual(judgeTrust({ ...tied, channel, tiedBy: undefined, named: ['x@y.test'] }), { verified: true });
    }
  });
});
