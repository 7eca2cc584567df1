import type { Database } from '../db/database.js';
import * as lists from '../lists/lists.repo.js';
import type { ListsService } from '../lists/lists.service.js';
import { invalidInput } from '../shared/app-error.js';
import type { DomainVerifier, DomainVerdict } from '../subscribers/domain-check.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import { parseAttributes, parseName } from '../subscribers/subscriber-input.js';
import { upsertSubscriber } from '../subscribers/subscribers.repo.js';
import type { ClientContext } from './client-context.js';
import { findSubscription, recordEvent, saveSubscription } from './consent.repo.js';
import { queueConfirmation, type ConfirmationMailDecision } from './confirmation-queue.js';
import { DEFAULT_CONFIRMATION_LIMITS, type ConfirmationLimits } from './send-limits.js';
import { transition } from './transitions.js';

export interface SignupRequest {
  list: string;
  email: unknown;
  name?: unknown;
  attributes?: unknown;
  /** The consent wording version the form showed, when the form says so. */
  consentVersion?: number;
}

/** What happened, for logs and tests; callers answer every signup the same way. */
export interface SignupResult {
  subscriberId: number;
  listId: number;
  status: string;
  confirmationMail: ConfirmationMailDecision;
  domainCheck: DomainVerdict['status'];
}

export interface SignupDeps {
  database: Database;
  lists: ListsService;
  verifier: DomainVerifier;
  limits?: ConfirmationLimits;
  /** Called after commit when a confirmation mail was queued (wakes the outbox worker). */
  onMailQueued?: () => void;
}

/** Double opt-in, step one: validate, record the evidence, queue the confirmation mail. */
export function createSignupService(deps: SignupDeps) {
  const { database } = deps;
  const limits = deps.limits ?? DEFAULT_CONFIRMATION_LIMITS;

  return async function signup(request: SignupRequest, context: ClientContext): Promise<SignupResult> {
    const { list, consent: current } = await deps.lists.signupTarget(request.list);
    const check = normaliseEmail(request.email);
    if (!check.ok) throw invalidInput(check.reason, { field: 'email' });
    const address = check.address;
    const name = parseName(request.name);
    const attributes = parseAttributes(request.attributes);
    const consent =
      request.consentVersion === undefined || request.consentVersion === current?.version
        ? current
        : ((await lists.consentTextByVersion(database.db, list.id, request.consentVersion)) ?? current);
    const verdict = await deps.verifier.check(address.domain);
    if (verdict.status === 'undeliverable') {
      throw invalidInput(`${verdict.reason} Please check the address.`, { field: 'email' });
    }

    const result = await database.transaction(async (trx): Promise<SignupResult> => {
      const now = Date.now();
      const subscriberId = await upsertSubscriber(
        trx,
        { email: address.email, key: address.key, name, attributes },
        now,
      );
      const current = await findSubscription(trx, subscriberId, list.id);
      const step = transition(current?.status, 'signup');
      if (!step.ok) throw invalidInput(step.reason);
      const { next, sendConfirmation } = step.transition;
      // Writing a pending row again restarts its purge clock and serialises concurrent signups.
      if (next !== current?.status || next === 'pending') await saveSubscription(trx, subscriberId, list.id, next, now);

      const mail: ConfirmationMailDecision = sendConfirmation
        ? await queueConfirmation(
            trx,
            { subscriberId, listId: list.id, emailKey: address.key, fromAddress: list.from_address },
            limits,
            now,
          )
        : 'not_needed';
      await recordEvent(trx, {
        subscriber_id: subscriberId,
        list_id: list.id,
        type: 'signup',
        at: now,
        ip: context.ip,
        user_agent: context.userAgent,
        source: context.source,
        consent_text_id: consent ? consent.id : null,
        detail: JSON.stringify({
          channel: context.channel,
          ...(context.apiKeyName ? { apiKey: context.apiKeyName } : {}),
          previousStatus: current?.status ?? null,
          confirmationMail: mail,
          domainCheck: verdict.status === 'unverified' ? `unverified: ${verdict.reason}` : verdict.status,
        }),
      });
      return { subscriberId, listId: list.id, status: next, confirmationMail: mail, domainCheck: verdict.status };
    });
    if (result.confirmationMail === 'queued') deps.onMailQueued?.();
    return result;
  };
}

export type SignupService = ReturnType<typeof createSignupService>;
