import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { confirmSyntheticSubscriber } from '../consent/change-consent.js';
import { deleteEventsOf, findSubscription } from '../consent/consent.repo.js';
import { addToDay } from '../metrics/daily-counts.repo.js';
import { dayOf } from '../metrics/days.js';
import type { Database } from '../db/database.js';
import { newMessageId } from '../mail/message-id.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { deleteSubscriber, findSubscriberById, upsertSubscriber } from '../subscribers/subscribers.repo.js';
import type { CampaignMailHandler } from './campaign-mail.js';

export type SelfTestResult =
  { ok: true; checkedAt: string; steps: string[] } | { ok: false; checkedAt: string; steps: string[]; reason: string };

/**
 * Proves a campaign's opt-out works before it sends: renders a real message for a synthetic
 * subscriber, parses it, posts RFC 8058 one-click to its List-Unsubscribe URL on the running
 * server and checks that the subscriber is unsubscribed. The synthetic subscriber is removed.
 */
export async function runOptOutSelfTest(
  database: Database,
  handler: CampaignMailHandler,
  campaign: { id: number; list_id: number },
  options: { timeoutMs?: number; clock?: Clock } = {},
): Promise<SelfTestResult> {
  const steps: string[] = [];
  const clock = options.clock ?? systemClock;
  const checkedAt = new Date(clock.now()).toISOString();
  const fail = (reason: string): SelfTestResult => ({ ok: false, checkedAt, steps, reason });
  const email = `selftest-${campaign.id}-${randomBytes(6).toString('hex')}@selftest.invalid`;
  const now = clock.now();
  const subscriberId = await database.transaction(async (trx) => {
    const id = await upsertSubscriber(trx, { email, key: email, name: 'Opt-out self-test', attributes: {} }, now);
    await confirmSyntheticSubscriber(trx, id, campaign.list_id, now);
    return id;
  });
  let postedAt: number | undefined;
  try {
    const subscriber = await findSubscriberById(database.db, subscriberId);
    if (!subscriber) return fail('the synthetic subscriber could not be created');
    const message = await handler.renderFor(campaign.id, subscriber, newMessageId('selftest.invalid', now));
    steps.push('rendered a real message');
    const parsed = await simpleParser(message.raw);
    // The raw header lines: mailparser folds List-* headers into a structured `list` entry.
    const line = (name: string) =>
      parsed.headerLines
        .find((h) => h.key === name)
        ?.line.replace(/^[^:]+:\s*/, '')
        .replace(/\r?\n\s+/g, ' ') ?? '';
    const header = line('list-unsubscribe');
    const post = line('list-unsubscribe-post');
    const url = /<(https?:\/\/[^>]+)>/.exec(header)?.[1];
    if (!url) return fail('the message has no https List-Unsubscribe URL');
    if (!/<mailto:[^>]+>/.test(header)) return fail('the message has no mailto List-Unsubscribe address');
    if (post !== 'List-Unsubscribe=One-Click')
      return fail('the message has no List-Unsubscribe-Post: List-Unsubscribe=One-Click header');
    if (!(parsed.html || '').includes(url) || !(parsed.text || '').includes(url))
      return fail('the unsubscribe link is missing from the HTML or the text part');
    steps.push('found List-Unsubscribe, List-Unsubscribe-Post and the link in both parts');
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    let status: number;
    postedAt = clock.now();
    try {
      const response = await fetch(url, {
        method: 'POST',
        body: form,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      status = response.status;
      await response.arrayBuffer();
    } catch (error) {
      return fail(
        `the one-click POST to ${new URL(url).origin} failed: ${(error as Error).message} (is \`listwarden serve\` answering at the public_url setting? A local trial keeps the default, http://localhost:8080)`,
      );
    }
    if (status !== 200) return fail(`the one-click POST answered ${status}, not 200`);
    steps.push('one-click POST answered 200 without a redirect');
    const after = await findSubscription(database.db, subscriberId, campaign.list_id);
    if (after?.status !== 'unsubscribed')
      return fail(`after the one-click POST the subscription is ${after?.status ?? 'gone'}, not unsubscribed`);
    steps.push('the synthetic subscriber is unsubscribed');
    return { ok: true, checkedAt, steps };
  } finally {
    await database.transaction(async (trx) => {
      // The synthetic opt-out is not a person leaving: it leaves the dashboard's count as it was.
      if (
        postedAt !== undefined &&
        (await findSubscription(trx, subscriberId, campaign.list_id))?.status === 'unsubscribed'
      )
        await addToDay(trx, dayOf(postedAt), 'unsubscribe', -1);
      await deleteEventsOf(trx, subscriberId);
      await deleteSubscriber(trx, subscriberId);
    });
  }
}
