import type { Database } from '../db/database.js';
import * as lists from '../lists/lists.repo.js';
import type { ListsService } from '../lists/lists.service.js';
import { invalidInput } from '../shared/app-error.js';
import type { DomainVerifier, DomainVerdict } from '../subscribers/domain-check.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import { parseAttributes, parseName } from '../subscribers/subscriber-input.js';
import { upsertSubscriber } from '../subscribers/subscribers.repo.js';
import type { ClientContext } from './client-context.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { changeConsent } from './change-consent.js';
import { findSuppression, recordEvent } from './consent.repo.js';
import { suppressionHash } from './suppression-key.js';
import type { ConfirmationMailDecision } from './confirmation-queue.js';
import { DEFAULT_CONFIRMATION_LIMITS, type ConfirmationLimits } from './send-limits.js';

export interface SignupRequest {
  list: string;
  email: unknown;
  name?: unknown;
  attributes?: unknown;
  /** The consent wording version the form showed, when the form says so. */
  consentVersion?: number;
  /**
   * Joining again from the preference centre (reached only through mail to the address): allowed
   * for an address that left every list, still through double opt-in.
   */
  rejoin?: boolean;
}

/** What happened, for logs and tests; callers answer every signup the same way. */
export interface SignupResult {
  /** 0 when the address is suppressed and nothing was stored. */
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
  clock?: Clock;
  /** Called after commit when a confirmation mail was queued (wakes the outbox worker). */
  onMailQueued?: () => void;
}

/** Double opt-in, step one: validate, record the evidence, queue the confirmation mail. */
export function createSignupService(deps: SignupDeps) {
  const { database } = deps;
  const limits = deps.limits ?? DEFAULT_CONFIRMATION_LIMITS;
  const clock = deps.clock ?? systemClock;

  return async function signup(request: SignupRequest, context: ClientContext): Promise<SignupResult> {
    const { list, consent: current } = await deps.lists.signupTarget(request.list);
    const check = normaliseEmail(request.email);
    if (!check.ok) throw invalidInput(check.reason, { field: 'email', problem: check.code });
    const address = check.address;
    const name = parseName(request.name);
    const attributes = parseAttributes(request.attributes);
    const consent =
      request.consentVersion === undefined || request.consentVersion === current?.version
        ? current
        : ((await lists.consentTextByVersion(database.db, list.id, request.consentVersion)) ?? current);
    const verdict = await deps.verifier.check(address.domain);
    if (verdict.status === 'undeliverable') {
      throw invalidInput(`${verdict.reason} Please check the address.`, {
        field: 'email',
        problem: 'undeliverable',
        domain: address.domain,
      });
    }

    const result = await database.transaction(async (trx): Promise<SignupResult> => {
      const now = clock.now();
      // A suppressed address (erased, complained, left every list, bounced) is never mailed again, so
      // a signup for it stores nothing about the person: no row, no IP, no browser. The answer stays
      // the same as for any signup, so the form does not tell who is suppressed.
      const suppression = await findSuppression(trx, suppressionHash(address.key));
      if (suppression && !(request.rejoin === true && suppression.reason === 'unsubscribed_all')) {
        await recordEvent(trx, {
          subscriber_id: null,
          list_id: list.id,
          type: 'signup',
          at: now,
          ip: null,
          user_agent: null,
          source: null,
          consent_text_id: null,
          detail: JSON.stringify({ channel: context.channel, suppressed: true }),
        });
        return {
          subscriberId: 0,
          listId: list.id,
          status: 'suppressed',
          confirmationMail: 'suppressed',
          domainCheck: verdict.status,
        };
      }
      const subscriberId = await upsertSubscriber(
        trx,
        { email: address.email, key: address.key, name, attributes },
        now,
      );
      const outcome = await changeConsent(
        trx,
        {
          subscriberId,
          listId: list.id,
          action: 'signup',
          evidence: {
            channel: context.channel,
            ...(context.apiKeyName ? { apiKey: context.apiKeyName } : {}),
            domainCheck: verdict.status === 'unverified' ? `unverified: ${verdict.reason}` : verdict.status,
          },
          origin: context,
          consentTextId: consent ? consent.id : null,
          confirmation: {
            emailKey: address.key,
            fromAddress: list.from_address,
            limits,
            outside: true,
            rejoin: request.rejoin === true,
          },
        },
        now,
      );
      if (!outcome.ok) throw invalidInput(outcome.reason);
      const mail = outcome.confirmationMail;
      const next = outcome.transition.next;
      return { subscriberId, listId: list.id, status: next, confirmationMail: mail, domainCheck: verdict.status };
    });
    if (result.confirmationMail === 'queued') deps.onMailQueued?.();
    return result;
  };
}

export type SignupService = ReturnType<typeof createSignupService>;
