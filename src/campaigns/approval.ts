import type { CampaignRow, ListRow } from '../db/schema.js';
import type { DkimKeysService } from '../dkim/dkim-keys.service.js';
import { layoutsUsed } from '../templates/sandboxed-liquid.js';
import { campaignSource, type ListLook } from './newsletter-layout.js';
import { takeSnapshot, type CampaignSnapshot, type SnapshotSettings } from './snapshot.js';

export interface ApprovalDeps {
  keys: Pick<DkimKeysService, 'activeFor' | 'resolve'>;
  /** This process's settings, read at use (a changed setting counts). */
  settings(): SnapshotSettings & { layoutsDir: string | undefined };
  /** The list's brand and words for our layout, in its language. */
  look(list: ListRow): Promise<ListLook>;
}

/** The domain of an address. */
export const domainOfAddress = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * The snapshot a campaign would be approved with now, from this process's settings and the
 * domain's active DKIM keys that this process can open. `campaigns check` and `send` judge it,
 * `send` stores it, and a draft's test copy is rendered from it.
 */
export function createApproval(deps: ApprovalDeps) {
  return {
    look: (list: ListRow) => deps.look(list),

    async snapshotNow(
      campaign: CampaignRow,
      list: ListRow,
      now: number,
    ): Promise<{ snapshot: CampaignSnapshot; keyProblem: string | undefined }> {
      const settings = deps.settings();
      const active = await deps.keys.activeFor(domainOfAddress(list.from_address));
      const usable = await deps.keys.resolve(active);
      const look = await deps.look(list);
      const snapshot = takeSnapshot({
        list,
        template: campaignSource(campaign, look),
        // The list's own imprint when it has one (a list run by another company), else the shop's.
        settings: { ...settings, postalAddress: look.brand.address || settings.postalAddress },
        layouts: layoutsUsed([campaign.subject, campaign.html, campaign.text ?? ''], settings.layoutsDir),
        dkim: 'keys' in usable ? active : [],
        now,
      });
      return { snapshot, keyProblem: 'problem' in usable ? usable.problem : undefined };
    },

    /** Why the approved keys cannot sign in this process (removed, another secret), or undefined. */
    async keyProblem(snapshot: CampaignSnapshot): Promise<string | undefined> {
      const keys = await deps.keys.resolve(snapshot.dkim);
      return 'problem' in keys ? keys.problem : undefined;
    },

    /** Why mail built from this snapshot would be refused (address, signature), or undefined. */
    refusal(snapshot: CampaignSnapshot, options: { unsigned?: boolean; keyProblem?: string } = {}): string | undefined {
      if (!snapshot.postalAddress.trim())
        return 'The postal_address setting is empty: every marketing mail must carry the sender\'s postal address (`listwarden settings set postal_address "…"`).';
      if (options.keyProblem && !options.unsigned)
        return `The campaign cannot be signed: ${options.keyProblem}. Fix the key, or send with --force to send unsigned.`;
      if (snapshot.dkim.length === 0 && !options.unsigned) {
        const domain = domainOfAddress(snapshot.list.fromAddress);
        return `No DKIM key signs mail from ${domain}, so the campaign would go out unsigned: run \`listwarden dkim generate --domain ${domain}\` and publish the record it prints, or send with --force to send unsigned.`;
      }
      return undefined;
    },
  };
}

export type Approval = ReturnType<typeof createApproval>;
