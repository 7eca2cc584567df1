import type { Db } from '../db/database.js';
import type { CampaignRow, SubscriberRow } from '../db/schema.js';
import { findSubscription } from '../consent/consent.repo.js';
import { newMessageId } from '../mail/message-id.js';
import { AppError, invalidInput, isAppError } from '../shared/app-error.js';
import { systemClock } from '../shared/clock.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import { findSubscriberByKey } from '../subscribers/subscribers.repo.js';
import { mailDomain, type CampaignMailHandler } from './campaign-mail.js';
import type { CampaignsDeps } from './campaigns.service.js';

/** The subscriber when the address has confirmed its subscription to the list. */
async function confirmedMember(db: Db, emailKey: string, listId: number): Promise<SubscriberRow | undefined> {
  const subscriber = await findSubscriberByKey(db, emailKey);
  if (!subscriber) return undefined;
  return (await findSubscription(db, subscriber.id, listId))?.status === 'confirmed' ? subscriber : undefined;
}

/** Renders a test copy; a template that cannot render now (a layout removed since) is the caller's 400. */
async function renderTestCopy(handler: CampaignMailHandler, ...args: Parameters<CampaignMailHandler['renderFor']>) {
  try {
    return await handler.renderFor(...args);
  } catch (error) {
    if (isAppError(error)) throw error;
    const cause = (error as { originalError?: unknown }).originalError;
    if ((error as Error).name === 'RenderError' || cause instanceof Error) {
      throw invalidInput(
        `The template cannot be rendered: ${((cause as Error | undefined)?.message ?? (error as Error).message).split('\n')[0]}.`,
      );
    }
    throw error;
  }
}

/**
 * `campaigns test`: one rendered copy, sent now, with TEST in the subject. A test copy is the
 * campaign sent without consent: only to the owner's own test addresses or to someone who
 * confirmed this list, never to any address a key holder names.
 */
export async function sendTestCopy(
  deps: Pick<CampaignsDeps, 'database' | 'lists' | 'handler' | 'transport' | 'sign' | 'testAddresses' | 'clock'>,
  campaign: CampaignRow,
  to: unknown,
): Promise<{ to: string; response: string }> {
  const clock = deps.clock ?? systemClock;
  const check = normaliseEmail(to);
  if (!check.ok) throw new AppError('invalid_input', check.reason);
  const list = await deps.lists.requireListById(campaign.list_id);
  const address = check.address.email.toLowerCase();
  const member = await confirmedMember(deps.database.db, check.address.key, list.id);
  if (!deps.testAddresses.includes(address) && !member) {
    throw new AppError(
      'forbidden',
      `A test copy goes only to the owner's test addresses (LISTWARDEN_TEST_ADDRESSES, LISTWARDEN_ADMIN_EMAIL) or to a confirmed member of "${list.slug}"; ${check.address.email} is neither.`,
    );
  }
  const message = await renderTestCopy(
    deps.handler,
    campaign.id,
    // A member's copy carries their own working opt-out links, as their real mail will. For a
    // test address, id 2^48-1 belongs to nobody: its links lead to a page that says nothing changed.
    member
      ? { id: member.id, email: member.email, name: member.name, attributes: member.attributes }
      : { id: 2 ** 48 - 1, email: check.address.email, name: 'Test Recipient', attributes: '{}' },
    newMessageId(mailDomain(list, undefined), clock.now()),
    '[TEST] ',
  );
  const delivery = await deps.transport.send(deps.sign ? await deps.sign(message) : message);
  return { to: check.address.email, response: delivery.response };
}
