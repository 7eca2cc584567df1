import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkEndpointUrl,
  DEFAULT_DELIVERY_POLICY,
  eventBody,
  isDelivered,
  nextDeliveryAt,
  parseEventList,
  shouldDisable,
  WEBHOOK_EVENTS,
} from './events.js';
import { newWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from './signature.js';

describe('Standard Webhooks signatures', () => {
  // The specification's published test vector: any Standard Webhooks library verifies our deliveries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"test": 2432232314}';

  it('reproduces the reference signature', () => {
    assert.equal(
      signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verifies its own headers and refuses a changed body, id, time or secret', () => {
    const headers = webhookHeaders(secret, 'msg_1', 1700000000, body);
    const given = {
      id: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
    };
    assert.equal(verifyWebhook(secret, given, body), true);
    assert.equal(verifyWebhook(secret, given, body.replace('2', '3')), false);
    assert.equal(verifyWebhook(secret, { ...given, id: 'msg_2' }, body), false);
    assert.equal(verifyWebhook(secret, { ...given, timestamp: '1700000001' }, body), false);
    assert.equal(verifyWebhook(newWebhookSecret(), given, body), false);
    // Several signatures (a secret being rotated): one match is enough.
    assert.equal(verifyWebhook(secret, { ...given, signature: `v1,AAAA ${given.signature}` }, body), true);
  });

  it('makes secrets of 32 random bytes and refuses short or foreign ones', () => {
    const a = newWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(a, newWebhookSecret());
    assert.throws(() => signWebhook('not-a-secret', 'msg', 1, ''));
    assert.throws(() => signWebhook('whsec_c2hvcnQ=', 'msg', 1, ''));
  });
});

describe('webhook delivery rules', () => {
  it('reads the events of --events, * for all, and names an unknown one', () => {
    assert.deepEqual(parseEventList('complaint, subscriber.confirmed'), {
      events: ['subscriber.confirmed', 'complaint'],
    });
    assert.deepEqual(parseEventList('*'), { events: [...WEBHOOK_EVENTS] });
    assert.match(
      (parseEventList('subscriber.deleted') as { error: string }).error,
      /"subscriber.deleted" is not an event/,
    );
    assert.match((parseEventList(' , ') as { error: string }).error, /at least one event/);
  });

  it('backs off exponentially with jitter up to six hours, and turns an endpoint off after days', () => {
    const policy = DEFAULT_DELIVERY_POLICY;
    const at = (attempts: number, r: number) => nextDeliveryAt(attempts, 0, policy, () => r);
    assert.equal(at(1, 0.5), 5_000);
    assert.equal(at(2, 0.5), 10_000);
    assert.equal(at(5, 0.5), 80_000);
    assert.equal(at(1, 0), 4_500);
    assert.equal(at(1, 1), 5_500);
    assert.equal(at(40, 0.5), 6 * 3_600_000);
    assert.equal(shouldDisable(null, 10 * 86_400_000, policy), false);
    assert.equal(shouldDisable(0, 3 * 86_400_000 - 1, policy), false);
    assert.equal(shouldDisable(0, 3 * 86_400_000, policy), true);
    assert.equal(isDelivered(204), true);
    assert.equal(isDelivered(301), false);
    assert.equal(isDelivered(undefined), false);
  });

  it('takes http(s) endpoint URLs without credentials', () => {
    assert.deepEqual(checkEndpointUrl('https://shop.example/hooks'), { url: 'https://shop.example/hooks' });
    assert.match((checkEndpointUrl('ftp://shop.example/') as { error: string }).error, /https:\/\//);
    assert.match((checkEndpointUrl('https://u:p@shop.example/') as { error: string }).error, /no user name/);
    assert.match((checkEndpointUrl('shop.example') as { error: string }).error, /not a URL/);
  });

  it('writes the body in the Standard Webhooks shape', () => {
    assert.deepEqual(JSON.parse(eventBody('complaint', 0, { email: 'a@b.c' })), {
      type: 'complaint',
      timestamp: '1970-01-01T00:00:00.000Z',
      data: { email: 'a@b.c' },
    });
  });
});
