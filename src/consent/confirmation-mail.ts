import type { Database } from '../db/database.js';
import { findListById } from '../lists/lists.repo.js';
import { listSystemMail } from '../mail/list-system-mail.js';
import type { ReturnPath } from '../mail/envelope.js';
import type { MessageHandler } from '../mail/outbox-worker.js';
import type { TemplateRenderer } from '../templates/liquid.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';
import { suppressionHash } from './suppression-key.js';
import { findSuppression } from './consent.repo.js';
import { consentTextById, currentConsentText } from '../lists/lists.repo.js';
import { findSubscription, lastSignupConsentTextId, recordEvent } from './consent.repo.js';
import type { BrandResolver } from '../brand/brand-resolver.js';
import { isLanguage } from '../i18n/languages.js';
import type { TokenCodec } from './tokens.js';

export interface ConfirmationMailDeps {
  database: Database;
  tokens: TokenCodec;
  publicUrl: string;
  confirmTtlMs: number;
  returnPath: ReturnPath;
  html: TemplateRenderer;
  text: TemplateRenderer;
  brand: BrandResolver;
}

/**
 * Builds the confirmation mail at send time (so the link's clock starts when it is sent) and
 * records `confirmation_sent` once the transport accepted it. No marketing content.
 */
export function confirmationMailHandler(deps: ConfirmationMailDeps): MessageHandler {
  const { db } = deps.database;
  return {
    async render(row) {
      if (row.subscriber_id === null || row.list_id === null) return { skip: 'recipient erased' };
      const [subscriber, list, subscription] = await Promise.all([
        findSubscriberById(db, row.subscriber_id),
        findListById(db, row.list_id),
        findSubscription(db, row.subscriber_id, row.list_id),
      ]);
      if (!subscriber || !list) return { skip: 'recipient or list no longer exists' };
      if (subscription?.status !== 'pending')
        return { skip: `subscription is ${subscription?.status ?? 'gone'}, not pending` };
      // A pending subscription of someone who left every list is a rejoin from the preference
      // centre (signups of suppressed addresses store nothing): its confirmation mail may go.
      const suppression = await findSuppression(db, suppressionHash(subscriber.email_key));
      if (suppression && suppression.reason !== 'unsubscribed_all') return { skip: 'address is suppressed' };
      const token = deps.tokens.sign('confirm', subscriber.id, list.id);
      // The wording and language the person saw when signing up; an import's re-permission mail has
      // none, and goes in the list's language with its current wording.
      const shownId = await lastSignupConsentTextId(db, subscriber.id, list.id);
      const consent =
        (shownId !== undefined ? await consentTextById(db, shownId) : undefined) ??
        (await currentConsentText(db, list.id, list.language));
      const lang = consent && isLanguage(consent.language) ? consent.language : list.language;
      const data = {
        lang,
        brand: await deps.brand(list),
        list: { name: list.name, slug: list.slug },
        // No name: it is unconfirmed text from whoever filled in the form, and could carry a link.
        subscriber: { email: subscriber.email },
        confirm_url: `${deps.publicUrl}/c/${token}`,
        expires_days: Math.round(deps.confirmTtlMs / 86_400_000),
        consent_text: consent?.text ?? '',
      };
      return { message: await listSystemMail(deps, { name: 'confirmation', list, to: subscriber.email, row, data }) };
    },

    async delivered(trx, row, delivery, now) {
      await recordEvent(trx, {
        subscriber_id: row.subscriber_id,
        list_id: row.list_id,
        type: 'confirmation_sent',
        at: now,
        ip: null,
        user_agent: null,
        source: null,
        consent_text_id: null,
        detail: JSON.stringify({
          messageId: row.message_id,
          response: delivery.response.slice(0, 300),
          attempt: row.attempts,
        }),
      });
    },
  };
}
