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
import { recordDelivery, seenDelivery } from './inbound-webhooks.repo.js';
import {
  parseTime,
  readShopifyCustomer,
  readShopifyPrivacyRequest,
  readWooCustomer,
  verifyBase64Hmac,
  withinWindow,
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

  /** Runs `apply` once per delivery id: a delivery seen before changes nothing. */
  async function once(source: string, deliveryId: string, apply: () => Promise<ShopOutcome>): Promise<ShopOutcome> {
    if (await seenDelivery(database.db, source, deliveryId))
      return { status: 'duplicate', reason: 'this delivery was applied before' };
    const outcome = await apply();
    await recordDelivery(database.db, source, deliveryId, clock.now());
    return outcome;
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
      const at = parseTime(header(headers, 'x-shopify-triggered-at'));
      if (!withinWindow(at, clock.now()))
        throw new AppError(
          'unauthorized',
          'X-Shopify-Triggered-At is missing or outside the 72-hour window: refused as a possible replay.',
        );
      const deliveryId = header(headers, 'x-shopify-event-id') ?? header(headers, 'x-shopify-webhook-id');
      if (!deliveryId || deliveryId.length > 200)
        throw invalidInput('X-Shopify-Event-Id or X-Shopify-Webhook-Id is missing.');
      const topic = header(headers, 'x-shopify-topic') ?? '';
      const shop = withoutControls(header(headers, 'x-shopify-shop-domain') ?? 'Shopify').slice(0, 100);
      const body = json(raw);
      return once('shopify', deliveryId, async () => {
        if (topic === 'customers/create' || topic === 'customers/update') {
          if (!list)
            throw new AppError('conflict', 'Name the list Shopify customers join: settings set shopify.list <slug>.');
          const customer = readShopifyCustomer(body);
          if ('error' in customer) throw invalidInput(customer.error);
          if (!customer.email) return { status: 'ignored', reason: 'the customer has no email address' };
          const source = `Shopify checkout (${shop}, customer ${customer.id})`;
          const consent = customer.consent;
          if (consent.action === 'double_opt_in')
            return optIn('shopify', list, { email: customer.email, name: customer.name }, source);
          if (consent.action === 'unsubscribe') return optOut('shopify', list, customer.email, source);
          if (consent.action === 'confirmed') {
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
            return { status: 'applied', action: outcome };
          }
          return { status: 'ignored', reason: consent.why };
        }
        if (topic === 'customers/redact') {
          const person = readShopifyPrivacyRequest(body);
          if ('error' in person) throw invalidInput(person.error);
          if (!person.email) return { status: 'ignored', reason: 'the request names no email address' };
          const result = await deps.people.erase(
            person.email,
            context('shopify', `Shopify customers/redact (${shop})`),
          );
          return { status: 'applied', action: result.erased ? 'erased' : 'nothing held; the address is suppressed' };
        }
        if (topic === 'customers/data_request') {
          const person = readShopifyPrivacyRequest(body);
          if ('error' in person) throw invalidInput(person.error);
          return { status: 'applied', action: await dataRequest(person.email, shop) };
        }
        return {
          status: 'ignored',
          reason: `the topic ${withoutControls(topic).slice(0, 60) || '(none)'} is not one Listwarden acts on`,
        };
      });
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
      const deliveryId = header(headers, 'x-wc-webhook-delivery-id');
      if (!deliveryId || deliveryId.length > 200) throw invalidInput('X-WC-Webhook-Delivery-ID is missing.');
      const topic = header(headers, 'x-wc-webhook-topic') ?? '';
      const source = withoutControls(header(headers, 'x-wc-webhook-source') ?? 'WooCommerce').slice(0, 200);
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
      if (!withinWindow(customer.modifiedAt, clock.now()))
        throw new AppError(
          'unauthorized',
          'The customer was last changed outside the 72-hour window: refused as a possible replay.',
        );
      return once('woocommerce', deliveryId, async () => {
        if (!list)
          throw new AppError(
            'conflict',
            'Name the list WooCommerce customers join: settings set woocommerce.list <slug>.',
          );
        if (!customer.email) return { status: 'ignored', reason: 'the customer has no email address' };
        const from = `WooCommerce checkout (${source}, customer ${customer.id})`;
        if (customer.consent === true)
          return optIn('woocommerce', list, { email: customer.email, name: customer.name }, from);
        if (customer.consent === false) return optOut('woocommerce', list, customer.email, from);
        return { status: 'ignored', reason: `the customer carries no "${consentField}" field` };
      });
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
