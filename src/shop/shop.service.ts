import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { ClientContext } from '../consent/client-context.js';
import type { PeopleService } from '../consent/people.service.js';
import { recordShopOptIn, shopOptOut } from '../consent/shop-consent.js';
import type { SignupService } from '../consent/signup.js';
import type { ListsService } from '../lists/lists.service.js';
import { queueOwnerAlert, type OwnerAlerts } from '../mail/owner-alert.js';
import { AppError, invalidInput } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { withoutControls } from '../shared/terminal-text.js';
import { advanceCustomerState, forgetDelivery, lastCustomerState, recordDelivery } from './inbound-webhooks.repo.js';
import {
  readShopifyCustomer,
  readShopifyPrivacyRequest,
  readWooCustomer,
  verifyBase64Hmac,
  withinWindow,
  type ShopifyCustomer,
} from './shop-webhooks.js';

export interface ShopSettings {
  shopify: { secret: string | undefined; list: string | undefined };
  woocommerce: { secret: string | undefined; list: string | undefined; consentField: string | undefined };
}

/** What a webhook did, as the answer's body (the shop only looks at the status code). */
export interface ShopOutcome {
  status: 'applied' | 'duplicate' | 'ignored';
  action?: string;
  reason?: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Shopify and WooCommerce customer sync with consent: the signature checked over the raw body
 * before anything is read, a replay window and delivery-id deduplication, then the consent
 * operation (double opt-in, a recorded proof, an opt-out) or the privacy requests (erase, export).
 * What is done here reaches the shop again through the outgoing webhooks.
 */
export function createShopService(deps: {
  database: Database;
  clock: Clock;
  logger: Logger;
  settings: () => ShopSettings;
  lists: ListsService;
  signup: SignupService;
  people: PeopleService;
  alerts: OwnerAlerts;
  onQueued: () => void;
}) {
  const { database, clock } = deps;

  function context(channel: 'shopify' | 'woocommerce', source: string): ClientContext {
    return { channel, ip: null, userAgent: null, source: withoutControls(source).slice(0, 300) };
  }

  function json(raw: Buffer): unknown {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw invalidInput('The body is not JSON.');
    }
  }

  /**
   * Runs `apply` once per signed body: the body's hash is claimed first (a replay under any
   * headers, or a concurrent duplicate, finds it taken), and given back when applying fails, so
   * the shop's retry can apply it.
   */
  async function once(source: string, raw: Buffer, apply: () => Promise<ShopOutcome>): Promise<ShopOutcome> {
    const key = `body:${createHash('sha256').update(raw).digest('hex')}`;
    if (!(await recordDelivery(database.db, source, key, clock.now())))
      return { status: 'duplicate', reason: 'this delivery was applied before' };
    try {
      return await apply();
    } catch (error) {
      await forgetDelivery(database.db, source, key);
      throw error;
    }
  }

  /**
   * A customer's state is applied only when it is newer than the last one applied for them: a
   * replayed or late delivery of an older state changes nothing.
   */
  async function inOrder(
    source: 'shopify' | 'woocommerce',
    customer: { id: string; at: number },
    apply: () => Promise<ShopOutcome>,
  ): Promise<ShopOutcome> {
    const last = await lastCustomerState(database.db, source, customer.id);
    if (last !== undefined && customer.at < last)
      return { status: 'ignored', reason: 'an older state of this customer than the last one applied' };
    const outcome = await apply();
    await advanceCustomerState(database.db, source, customer.id, customer.at);
    return outcome;
  }

  /** A problem with one customer (an address that cannot receive mail) is answered, not retried for days. */
  async function perCustomer(apply: () => Promise<ShopOutcome>): Promise<ShopOutcome> {
    try {
      return await apply();
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_input')
        return { status: 'ignored', reason: error.message };
      throw error;
    }
  }

  async function optIn(
    channel: 'shopify' | 'woocommerce',
    list: string,
    customer: { email: string; name: string | undefined },
    source: string,
  ): Promise<ShopOutcome> {
    const result = await deps.signup({ list, email: customer.email, name: customer.name }, context(channel, source));
    return {
      status: 'applied',
      action: `double opt-in: ${result.status}, confirmation mail ${result.confirmationMail}`,
    };
  }

  async function optOut(
    channel: 'shopify' | 'woocommerce',
    list: string,
    email: string,
    source: string,
  ): Promise<ShopOutcome> {
    const target = await deps.lists.signupTarget(list);
    const changed = await shopOptOut(database, { email, listId: target.list.id, channel, source }, clock.now());
    return { status: 'applied', action: changed ? 'unsubscribed' : 'not subscribed: nothing to change' };
  }

  /** Shopify's customers/create and customers/update, by the customer's marketing consent. */
  async function shopifyCustomer(customer: ShopifyCustomer & { email: string }, list: string, shop: string) {
    const source = `Shopify checkout (${shop}, customer ${customer.id})`;
    const consent = customer.consent;
    if (consent.action === 'double_opt_in') return optIn('shopify', list, customer, source);
    if (consent.action === 'unsubscribe') return optOut('shopify', list, customer.email, source);
    if (consent.action === 'none') return { status: 'ignored' as const, reason: consent.why };
    const target = await deps.lists.signupTarget(list);
    const outcome = await recordShopOptIn(
      database,
      {
        email: customer.email,
        name: customer.name,
        listId: target.list.id,
        source,
        evidence: {
          channel: 'shopify',
          customerId: customer.id,
          optInLevel: consent.level,
          consentUpdatedAt: new Date(consent.confirmedAt).toISOString(),
        },
      },
      clock.now(),
    );
    // Someone who left or bounced is not brought back by the shop's word: our own confirmation.
    if (outcome === 'double_opt_in') return optIn('shopify', list, customer, source);
    return { status: 'applied' as const, action: outcome };
  }

  return {
    async shopify(raw: Buffer, headers: Headers): Promise<ShopOutcome> {
      const { secret, list } = deps.settings().shopify;
      if (!secret)
        throw new AppError('not_found', 'The Shopify integration is not set up (settings set shopify.secret).');
      if (!verifyBase64Hmac(secret, raw, header(headers, 'x-shopify-hmac-sha256')))
        throw new AppError(
          'unauthorized',
          'The X-Shopify-Hmac-Sha256 signature does not match this body and the app secret.',
        );
      const topic = header(headers, 'x-shopify-topic') ?? '';
      const body = json(raw);
      const headerShop = withoutControls(header(headers, 'x-shopify-shop-domain') ?? 'Shopify').slice(0, 100);
      if (topic === 'customers/create' || topic === 'customers/update') {
        const customer = readShopifyCustomer(body);
        if ('error' in customer) throw invalidInput(customer.error);
        const at = customer.updatedAt;
        if (at === undefined || !withinWindow(at, clock.now()))
          throw new AppError(
            'unauthorized',
            "The customer's updated_at is missing or outside the 72-hour window: refused as a possible replay.",
          );
        return once('shopify', raw, () =>
          inOrder('shopify', { id: customer.id, at }, async () => {
            if (!list)
              throw new AppError('conflict', 'Name the list Shopify customers join: settings set shopify.list <slug>.');
            if (!customer.email) return { status: 'ignored', reason: 'the customer has no email address' };
            const email = customer.email;
            return perCustomer(() => shopifyCustomer({ ...customer, email }, list, headerShop));
          }),
        );
      }
      if (topic === 'customers/redact' || topic === 'customers/data_request') {
        const person = readShopifyPrivacyRequest(body, topic);
        if ('error' in person) throw invalidInput(person.error);
        // The shop's domain as the signed body names it.
        const shop = withoutControls(person.shopDomain ?? 'Shopify');
        return once('shopify', raw, async () => {
          if (topic === 'customers/data_request')
            return { status: 'applied', action: await dataRequest(person.email, shop) };
          if (!person.email) return { status: 'ignored', reason: 'the request names no email address' };
          const email = person.email;
          return perCustomer(async () => {
            const result = await deps.people.erase(email, context('shopify', `Shopify customers/redact (${shop})`));
            return { status: 'applied', action: result.erased ? 'erased' : 'nothing held; the address is suppressed' };
          });
        });
      }
      return {
        status: 'ignored',
        reason: `the topic ${withoutControls(topic).slice(0, 60) || '(none)'} is not one Listwarden acts on`,
      };
    },

    async woocommerce(raw: Buffer, headers: Headers, contentType: string | undefined): Promise<ShopOutcome> {
      const { secret, list, consentField } = deps.settings().woocommerce;
      if (!secret)
        throw new AppError('not_found', 'The WooCommerce integration is not set up (settings set woocommerce.secret).');
      const signature = header(headers, 'x-wc-webhook-signature');
      // Saving a webhook in WooCommerce sends an unsigned ping (webhook_id=N): answered, nothing done.
      if (
        !signature &&
        (contentType ?? '').startsWith('application/x-www-form-urlencoded') &&
        /^webhook_id=\d{1,12}$/.test(raw.toString('latin1'))
      )
        return { status: 'ignored', reason: 'ping' };
      if (!verifyBase64Hmac(secret, raw, signature))
        throw new AppError(
          'unauthorized',
          'The X-WC-Webhook-Signature does not match this body and the webhook secret.',
        );
      const topic = header(headers, 'x-wc-webhook-topic') ?? '';
      const body = json(raw);
      if (topic !== 'customer.created' && topic !== 'customer.updated')
        return {
          status: 'ignored',
          reason: `the topic ${withoutControls(topic).slice(0, 60) || '(none)'} is not one Listwarden acts on`,
        };
      if (!consentField)
        throw new AppError(
          'conflict',
          'Name the field that holds the newsletter box: settings set woocommerce.consent_field <key>.',
        );
      const customer = readWooCustomer(body, consentField);
      if ('error' in customer) throw invalidInput(customer.error);
      const at = customer.modifiedAt;
      if (at === undefined || !withinWindow(at, clock.now()))
        throw new AppError(
          'unauthorized',
          'The customer was last changed outside the 72-hour window: refused as a possible replay.',
        );
      const source = withoutControls(header(headers, 'x-wc-webhook-source') ?? 'WooCommerce').slice(0, 200);
      return once('woocommerce', raw, () =>
        inOrder('woocommerce', { id: customer.id, at }, async () => {
          if (!list)
            throw new AppError(
              'conflict',
              'Name the list WooCommerce customers join: settings set woocommerce.list <slug>.',
            );
          if (!customer.email) return { status: 'ignored', reason: 'the customer has no email address' };
          const email = customer.email;
          const from = `WooCommerce checkout (${source}, customer ${customer.id})`;
          return perCustomer(async () => {
            if (customer.consent === true) return optIn('woocommerce', list, { email, name: customer.name }, from);
            if (customer.consent === false) return optOut('woocommerce', list, email, from);
            return { status: 'ignored', reason: `the customer carries no "${consentField}" field` };
          });
        }),
      );
    },
  };

  /** Shopify's data request: what we hold about the customer, mailed to the owner to pass on. */
  async function dataRequest(email: string | undefined, shop: string): Promise<string> {
    if (!deps.alerts.to) {
      deps.logger.warn('a Shopify data request arrived but no admin_email is set to send the export to');
      throw new AppError('unavailable', 'Set admin_email first: the export of a data request is mailed to the owner.');
    }
    let text: string;
    if (!email)
      text = 'The request names no email address; Listwarden keeps customers by address only, so it holds nothing.';
    else {
      try {
        text = JSON.stringify(await deps.people.exportData(email), null, 2);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
        text = `Listwarden holds no data about ${email}.`;
      }
    }
    await database.transaction((trx) =>
      queueOwnerAlert(
        trx,
        deps.alerts,
        `Shopify data request from ${shop}: the customer's data in Listwarden`,
        `Shopify asked (customers/data_request) for what Listwarden holds about this customer.\nPass it on to the customer:\n\n${text}\n`,
        clock.now(),
      ),
    );
    deps.onQueued();
    return 'export mailed to the owner';
  }
}

export type ShopService = ReturnType<typeof createShopService>;
