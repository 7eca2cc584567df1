import type { AudienceSql } from '../segments/filter-sql.repo.js';
import type { CampaignRow, ListRow } from '../db/schema.js';
import type { ListsService } from '../lists/lists.service.js';
import { parseSlug } from '../lists/list-input.js';
import { parseFilter } from '../segments/filter-parse.js';
import type { SegmentsService } from '../segments/segments.service.js';
import { invalidInput } from '../shared/app-error.js';
import { readAbTest, sampleVariant } from './ab-test.js';

const MAX_EXCLUDED = 20;

/** Whom a campaign goes to, as stored with it and as `campaigns status` shows it. */
export interface AudienceView {
  segment: string | null;
  /** The filter it sends with (its segment's, copied when it started). */
  where: string | null;
  excludeLists: string[];
}

/**
 * A campaign's audience: its list's confirmed subscribers, or a segment of them, less the confirmed
 * subscribers of other lists. Resolved from names when a campaign is created; the segment's filter
 * is copied into the campaign when it starts (a later edit of the segment does not change a send),
 * and compiled with the start's time for `now - 90d`, so every fan-out batch reads the same people.
 */
export function createAudiences(deps: { lists: ListsService; segments: SegmentsService }) {
  async function excludedIds(input: unknown, listId: number): Promise<number[]> {
    if (input === undefined || input === null) return [];
    const names = Array.isArray(input) ? input : [input];
    if (names.length > MAX_EXCLUDED) throw invalidInput(`A campaign leaves out at most ${MAX_EXCLUDED} lists.`);
    const ids: number[] = [];
    for (const name of names) {
      const list = await deps.lists.requireList(parseSlug(name));
      if (list.id === listId) throw invalidInput(`The campaign goes to ${list.slug}; it cannot also leave it out.`);
      if (!ids.includes(list.id)) ids.push(list.id);
    }
    return ids;
  }

  /** The filter a campaign sends with: its own copy once started, before that its segment's. */
  async function filterOf(campaign: CampaignRow): Promise<string | null> {
    if (campaign.audience_filter !== null) return campaign.audience_filter;
    if (campaign.segment_id === null) return null;
    const segment = await deps.segments.requireSegmentById(campaign.segment_id);
    return segment.filter;
  }

  return {
    /** The list and audience of a new campaign from `--list`, `--segment` and `--exclude-list`. */
    async resolve(input: {
      list?: unknown;
      segment?: unknown;
      excludeLists?: unknown;
    }): Promise<{ list: ListRow; segmentId: number | null; excludeListIds: number[] }> {
      let list: ListRow | undefined;
      let segmentId: number | null = null;
      if (input.segment !== undefined && input.segment !== null && input.segment !== '') {
        const segment = await deps.segments.requireSegment(input.segment);
        list = await deps.lists.requireListById(segment.list_id);
        if (input.list !== undefined && input.list !== null && input.list !== '' && input.list !== list.slug)
          throw invalidInput(
            `The segment ${segment.slug} is on the list ${list.slug}, not ${typeof input.list === 'string' ? input.list.slice(0, 64) : 'that list'}.`,
          );
        segmentId = Number(segment.id);
      } else {
        if (typeof input.list !== 'string' || input.list === '')
          throw invalidInput('Say whom the campaign goes to: a list (--list) or a segment (--segment).');
        list = await deps.lists.requireList(parseSlug(input.list));
      }
      return { list, segmentId, excludeListIds: await excludedIds(input.excludeLists, list.id) };
    },

    filterOf,

    /**
     * The campaign's audience as one SQL condition (undefined: the whole list); `now` for relative
     * times. An A/B test's fan-out goes to the sample first, then (once decided) to the rest.
     */
    async conditionOf(campaign: CampaignRow, now: number): Promise<AudienceSql | undefined> {
      const filter = await filterOf(campaign);
      const excludeListIds = campaign.exclude_lists ? (JSON.parse(campaign.exclude_lists) as number[]) : [];
      const ab = readAbTest(campaign.ab);
      if (filter === null && excludeListIds.length === 0 && !ab) return undefined;
      return deps.segments.condition(
        campaign.list_id,
        {
          ...(filter !== null ? { filter: parseFilter(filter) } : {}),
          excludeListIds,
          ...(ab ? { sample: { percent: ab.samplePercent, inSample: ab.decision === undefined } } : {}),
        },
        campaign.started_at ?? now,
      );
    },

    /** The subject variant of each recipient of an A/B test: by id in the sample, the winner after. */
    variantOf(campaign: CampaignRow): ((subscriberId: number) => 'a' | 'b') | undefined {
      const ab = readAbTest(campaign.ab);
      if (!ab) return undefined;
      const winner = ab.decision?.winner;
      return winner ? () => winner : sampleVariant;
    },

    async view(campaign: CampaignRow): Promise<AudienceView> {
      const excluded = campaign.exclude_lists ? (JSON.parse(campaign.exclude_lists) as number[]) : [];
      const segment = campaign.segment_id === null ? null : await deps.segments.findSegmentById(campaign.segment_id);
      return {
        segment: campaign.segment_id === null ? null : (segment?.slug ?? `(deleted segment ${campaign.segment_id})`),
        where: campaign.audience_filter ?? segment?.filter ?? null,
        excludeLists: await Promise.all(excluded.map(async (id) => (await deps.lists.requireListById(id)).slug)),
      };
    },
  };
}

export type Audiences = ReturnType<typeof createAudiences>;

/** An audience in words: `segment nl (country = "NL"), less vip`. */
export function describeAudience(audience: AudienceView): string {
  const parts = audience.segment ? [`segment ${audience.segment} (${audience.where ?? ''})`] : ['the whole list'];
  if (audience.excludeLists.length > 0) parts.push(`less ${audience.excludeLists.join(', ')}`);
  return parts.join(', ');
}
