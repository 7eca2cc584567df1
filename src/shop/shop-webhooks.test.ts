import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  parseTime,
  readShopifyCustomer,
  readShopifyPrivacyRequest,
  readWooCustomer,
  REPLAY_WINDOW_MS,
  verifyBase64Hmac,
  withinWindow,
} from './shop-webhooks.js';

describe('shop webhooks as the shops send them', () => {
  it('checks the base64 HMAC-SHA256 of the raw body (Shopify and WooCommerce)', () => {
    const raw = Buffer.from('{"id":1,"email":"anna@example.com"}');
    const good = createHmac('sha256', 'app-secret').update(raw).digest('base64');
    assert.equal(verifyBase64Hmac('app-secret', raw, good), true);
    assert.equal(verifyBase64Hmac('app-secret', Buffer.from(`${raw.toString()} `), good), false);
    assert.equal(verifyBase64Hmac('other-secret', raw, good), false);
    // The hex form is not what the shops send.
    assert.equal(
      verifyBase64Hmac('app-secret', raw, createHmac('sha256', 'app-secret').update(raw).digest('hex')),
      false,
    );
    assert.equal(verifyBase64Hmac('app-secret', raw, undefined), false);
    assert.equal(verifyBase64Hmac('', raw, good), false);
  });

  it('keeps deliveries inside the replay window', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    assert.equal(withinWindow(now - REPLAY_WINDOW_MS, now), true);
    assert.equal(withinWindow(now - REPLAY_WINDOW_MS - 1, now), false);
    assert.equal(withinWindow(now + REPLAY_WINDOW_MS + 1, now), false);
    assert.equal(withinWindow(undefined, now), false);
    assert.equal(parseTime('2026-11-30T10:00:00', true), Date.parse('2026-11-30T10:00:00Z'));
    assert.equal(parseTime('2026-11-30T10:00:00-05:00'), Date.parse('2026-11-30T15:00:00Z'));
    assert.equal(parseTime('yesterday'), undefined);
  });

  it("reads Shopify's email_marketing_consent: ticked box, confirmed opt-in, unsubscribed, the rest", () => {
    const customer = (consent: unknown) =>
      readShopifyCustomer({
        id: 6940095564061,
        email: 'anna@example.com',
        first_name: 'Anna',
        last_name: 'Berg',
        updated_at: '2026-11-30T09:00:00-05:00',
        email_marketing_consent: consent,
      });
    assert.deepEqual(customer({ state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: null }), {
      id: '6940095564061',
      email: 'anna@example.com',
      name: 'Anna Berg',
      // The time of this state comes from the signed body.
      updatedAt: Date.parse('2026-11-30T14:00:00Z'),
      consent: { action: 'double_opt_in' },
    });
    assert.deepEqual(
      (
        customer({
          state: 'subscribed',
          opt_in_level: 'confirmed_opt_in',
          consent_updated_at: '2026-11-29T10:00:00-05:00',
        }) as { consent: unknown }
      ).consent,
      { action: 'confirmed', confirmedAt: Date.parse('2026-11-29T15:00:00Z'), level: 'confirmed_opt_in' },
    );
    // A confirmed opt-in without its time proves nothing: our own confirmation instead.
    assert.deepEqual(
      (customer({ state: 'subscribed', opt_in_level: 'confirmed_opt_in' }) as { consent: unknown }).consent,
      {
        action: 'double_opt_in',
      },
    );
    assert.deepEqual((customer({ state: 'unsubscribed' }) as { consent: unknown }).consent, { action: 'unsubscribe' });
    assert.equal((customer({ state: 'pending' }) as { consent: { action: string } }).consent.action, 'none');
    assert.equal((customer({ state: 'not_subscribed' }) as { consent: { action: string } }).consent.action, 'none');
    assert.equal((customer(undefined) as { consent: { action: string } }).consent.action, 'none');
    assert.deepEqual(readShopifyCustomer([]), { error: 'The body is not a customer object.' });
    assert.deepEqual(readShopifyCustomer({ email: 'x@y.z' }), { error: 'The customer has no id.' });
  });

  it('reads the privacy webhooks (customers/redact, customers/data_request)', () => {
    const redact = {
      shop_id: 954889,
      shop_domain: 'tulip-shop.myshopify.com',
      customer: { id: 191167, email: 'john@example.com', phone: '555-625-1199' },
      orders_to_redact: [1],
    };
    assert.deepEqual(readShopifyPrivacyRequest(redact, 'customers/redact'), {
      id: '191167',
      email: 'john@example.com',
      name: undefined,
      shopDomain: 'tulip-shop.myshopify.com',
    });
    // One topic's signed body is not the other's: a data request cannot be replayed as a redact.
    const dataRequest = { ...redact, orders_to_redact: undefined, orders_requested: [1], data_request: { id: 9 } };
    assert.match(
      (readShopifyPrivacyRequest(dataRequest, 'customers/redact') as { error: string }).error,
      /orders_to_redact/,
    );
    assert.match(
      (readShopifyPrivacyRequest(redact, 'customers/data_request') as { error: string }).error,
      /data_request/,
    );
    assert.deepEqual(readShopifyPrivacyRequest({ shop_id: 1, orders_to_redact: [] }, 'customers/redact'), {
      error: 'The body names no customer.',
    });
  });

  it("reads WooCommerce's customer with the consent field, top level or in meta_data", () => {
    const body = {
      id: 25,
      email: 'john.doe@example.com',
      first_name: 'John',
      last_name: 'Doe',
      date_modified_gmt: '2026-11-30T10:00:00',
      meta_data: [{ id: 1, key: 'newsletter_optin', value: 'yes' }],
    };
    assert.deepEqual(readWooCustomer(body, 'newsletter_optin'), {
      id: '25',
      email: 'john.doe@example.com',
      name: 'John Doe',
      consent: true,
      modifiedAt: Date.parse('2026-11-30T10:00:00Z'),
    });
    assert.equal(
      (
        readWooCustomer({ ...body, meta_data: [{ key: 'newsletter_optin', value: '0' }] }, 'newsletter_optin') as {
          consent: unknown;
        }
      ).consent,
      false,
    );
    assert.equal(
      (readWooCustomer({ ...body, accepts_marketing: true }, 'accepts_marketing') as { consent: unknown }).consent,
      true,
    );
    assert.equal((readWooCustomer(body, 'other_field') as { consent: unknown }).consent, undefined);
    assert.equal(
      (
        readWooCustomer({ ...body, meta_data: [{ key: 'newsletter_optin', value: 'maybe' }] }, 'newsletter_optin') as {
          consent: unknown;
        }
      ).consent,
      undefined,
    );
  });
});
