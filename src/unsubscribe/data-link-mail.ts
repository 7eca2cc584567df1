import type { TokenCodec } from '../consent/tokens.js';
import type { Database } from '../db/database.js';
import { findListById } from '../lists/lists.repo.js';
import { listSystemMail } from '../mail/list-system-mail.js';
import type { ReturnPath } from '../mail/envelope.js';
import type { MessageHandler } from '../mail/outbox-worker.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';
import type { TemplateRenderer } from '../templates/liquid.js';
import { dataUrl } from './links.js';
import type { BrandResolver } from '../brand/brand-resolver.js';

/** Data links open personal data (download, erase): they work for one hour after they are sent. */
export const DATA_LINK_TTL_MS = 60 * 60_000;

export interface DataLinkMailDeps {
  database: Database;
  tokens: TokenCodec;
  publicUrl: string;
  returnPath: ReturnPath;
  html: TemplateRenderer;
  text: TemplateRenderer;
  brand: BrandResolver;
}

/**
 * The mail with the short-lived link to "download my data" and "delete my data", asked for on the
 * preferences page. Built at send time, so the link's hour starts when it is sent; it goes only to
 * the address itself, so an old newsletter's links never open the person's data.
 */
export function dataLinkMailHandler(deps: DataLinkMailDeps): MessageHandler {
  const { db } = deps.database;
  return {
    async render(row) {
      if (row.subscriber_id === null || row.list_id === null) return { skip: 'recipient erased' };
      const [subscriber, list] = await Promise.all([
        findSubscriberById(db, row.subscriber_id),
        findListById(db, row.list_id),
      ]);
      if (!subscriber || !list) return { skip: 'recipient or list no longer exists' };
      const data = {
        lang: list.language,
        brand: await deps.brand(list),
        list: { name: list.name },
        subscriber: { email: subscriber.email },
        data_url: dataUrl(deps.publicUrl, deps.tokens.sign('data', subscriber.id, 0)),
        expires_minutes: Math.round(DATA_LINK_TTL_MS / 60_000),
      };
      return { message: await listSystemMail(deps, { name: 'data-link', list, to: subscriber.email, row, data }) };
    },
  };
}
