import { z } from 'zod';
import type { CampaignRow, ListRow } from '../db/schema.js';
import type { CampaignSource } from './campaign-template.js';

/**
 * What `campaigns send` approved, frozen into the campaign: the template (with copies of the
 * layouts it names), the sender, the postal address, the links' base URL, the bounce domain and
 * the DKIM keys. The worker builds every message from this and nothing else, so a server started
 * with another environment, or a setting changed after the checks, cannot change what goes out.
 */
export interface CampaignSnapshot {
  version: 1;
  approvedAt: number;
  template: CampaignSource;
  layouts: Record<string, string>;
  list: {
    id: number;
    name: string;
    fromName: string | null;
    fromAddress: string;
    replyTo: string | null;
    /** Engagement tracking as approved (absent in snapshots from before: off). */
    tracking?: { clicks: boolean; opens: boolean } | undefined;
  };
  postalAddress: string;
  publicUrl: string;
  bounceDomain: string | null;
  /** The list's language when approved (the layout's words are written in it). */
  language?: string | undefined;
  /** The keys it is signed with; empty only when the sender chose to send unsigned (--force). */
  dkim: Array<{ domain: string; selector: string; fingerprint: string }>;
}

const SNAPSHOT = z.object({
  version: z.literal(1),
  approvedAt: z.number(),
  template: z.object({
    subject: z.string(),
    html: z.string(),
    text: z.string().nullable(),
    format: z.enum(['html', 'mjml']),
    layout: z.literal('newsletter').optional(),
  }),
  layouts: z.record(z.string(), z.string()),
  list: z.object({
    id: z.number(),
    name: z.string(),
    fromName: z.string().nullable(),
    fromAddress: z.string(),
    replyTo: z.string().nullable(),
    tracking: z.object({ clicks: z.boolean(), opens: z.boolean() }).optional(),
  }),
  postalAddress: z.string(),
  publicUrl: z.string(),
  bounceDomain: z.string().nullable(),
  language: z.string().optional(),
  dkim: z.array(z.object({ domain: z.string(), selector: z.string(), fingerprint: z.string() })),
});

/** The settings a snapshot takes from the configuration of the process that approves the send. */
export interface SnapshotSettings {
  postalAddress: string;
  publicUrl: string;
  bounceDomain: string | undefined;
}

export function takeSnapshot(input: {
  list: ListRow;
  /** The campaign's source as approved: inside our layout when it has one (newsletter-layout.ts). */
  template: CampaignSource;
  settings: SnapshotSettings;
  layouts: Record<string, string>;
  dkim: ReadonlyArray<{ domain: string; selector: string; fingerprint: string }>;
  now: number;
}): CampaignSnapshot {
  const { list, settings } = input;
  return {
    version: 1,
    approvedAt: input.now,
    template: input.template,
    layouts: input.layouts,
    list: {
      id: list.id,
      name: list.name,
      fromName: list.from_name,
      fromAddress: list.from_address,
      replyTo: list.reply_to,
      tracking: { clicks: list.track_clicks === 1, opens: list.track_opens === 1 },
    },
    postalAddress: settings.postalAddress,
    publicUrl: settings.publicUrl,
    bounceDomain: settings.bounceDomain ?? null,
    language: list.language,
    dkim: input.dkim.map((k) => ({ domain: k.domain, selector: k.selector, fingerprint: k.fingerprint })),
  };
}

/** The stored snapshot, or undefined when the campaign has none (a draft, or approved before snapshots). */
export function readSnapshot(campaign: Pick<CampaignRow, 'snapshot'>): CampaignSnapshot | undefined {
  if (campaign.snapshot === null) return undefined;
  return SNAPSHOT.parse(JSON.parse(campaign.snapshot)) as CampaignSnapshot;
}
