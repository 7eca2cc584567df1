import type { Database } from '../db/database.js';
import { invalidInput } from '../shared/app-error.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import { parseName } from '../subscribers/subscriber-input.js';
import { findSubscriberByKey, upsertSubscriber } from '../subscribers/subscribers.repo.js';
import { changeConsent } from './change-consent.js';
import { findSubscription, findSuppression } from './consent.repo.js';
import type { ShopProofEvidence } from './evidence.js';
import { suppressionHash } from './suppression-key.js';

/**
 * Consent that a shop proves: a customer the shop itself confirmed (Shopify's `confirmed_opt_in`)
 * is recorded as confirmed with that proof when they have no subscription yet, and a pending one
 * is confirmed by it. Someone who left, bounced or is suppressed is not brought back by a shop's
 * word: `double_opt_in` asks the caller to start our own confirmation instead. Returns what was done.
 */
export async function recordShopOptIn(
  database: Database,
  input: { email: string; name: string | undefined; listId: number; source: string; evidence: ShopProofEvidence },
  now: number,
): Promise<string> {
  const check = normaliseEmail(input.email);
  if (!check.ok) throw invalidInput(`The customer's address cannot receive mail: ${check.reason}`);
  const address = check.address;
  return database.transaction(async (trx) => {
    // A suppressed address is never mailed again: nothing about the person is stored.
    if (await findSuppression(trx, suppressionHash(address.key))) return 'suppressed: nothing recorded';
    const existing = await findSubscriberByKey(trx, address.key);
    const current = existing ? await findSubscription(trx, existing.id, input.listId) : undefined;
    if (current?.status === 'confirmed') return 'already confirmed';
    if (current?.status === 'unsubscribed' || current?.status === 'bounced') return 'double_opt_in';
    const subscriberId =
      existing?.id ??
      (await upsertSubscriber(
        trx,
        { email: address.email, key: address.key, name: parseName(input.name), attributes: {} },
        now,
      ));
    const origin = { source: input.source };
    const outcome =
      current?.status === 'pending'
        ? await changeConsent(
            trx,
            {
              subscriberId,
              listId: input.listId,
              action: 'confirm',
              evidence: {
                channel: input.evidence.channel,
                method: `${input.evidence.optInLevel} in ${input.evidence.channel === 'shopify' ? 'Shopify' : 'the shop'}`,
                linkIssuedAt: input.evidence.consentUpdatedAt,
              },
              origin,
            },
            now,
          )
        : await changeConsent(
            trx,
            { subscriberId, listId: input.listId, action: 'import_with_proof', evidence: input.evidence, origin },
            now,
          );
    if (!outcome.ok) throw invalidInput(outcome.reason);
    return "recorded as confirmed with the shop's proof";
  });
}

/** The shop says the customer no longer wants marketing mail: they leave the list. */
export async function shopOptOut(
  database: Database,
  input: { email: string; listId: number; channel: 'shopify' | 'woocommerce'; source: string },
  now: number,
): Promise<boolean> {
  const check = normaliseEmail(input.email);
  if (!check.ok) return false;
  return database.transaction(async (trx) => {
    const subscriber = await findSubscriberByKey(trx, check.address.key);
    if (!subscriber) return false;
    const current = await findSubscription(trx, subscriber.id, input.listId);
    if (!current || current.status === 'unsubscribed' || current.status === 'bounced') return false;
    const outcome = await changeConsent(
      trx,
      {
        subscriberId: subscriber.id,
        listId: input.listId,
        action: 'unsubscribe',
        evidence: { method: 'shop' },
        origin: { source: input.source },
      },
      now,
    );
    return outcome.ok && outcome.transition.changed;
  });
}
