import type { Database } from '../db/database.js';
import { parseSlug } from '../lists/list-input.js';
import type { ListsService } from '../lists/lists.service.js';
import { attributeTypesOf } from '../lists/list-attributes.repo.js';
import { AppError, invalidInput, notFound } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { audienceCondition, type Audience } from './filter-sql.repo.js';
import { MAX_FILTER_LENGTH, parseFilter, type Filter } from './filter-parse.js';
import { checkFilter } from './filter-types.js';
import * as repo from './segments.repo.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export interface SegmentView {
  id: number;
  name: string;
  list: string;
  where: string;
  createdAt: string;
  updatedAt: string;
}

function parseSegmentName(input: unknown): string {
  const slug = typeof input === 'string' ? input.trim() : '';
  if (!SLUG.test(slug))
    throw invalidInput(
      'A segment name must be 1-64 lower-case letters, digits or dashes, not starting or ending with a dash.',
    );
  return slug;
}

function parseWhere(input: unknown): { text: string; filter: Filter } {
  if (typeof input !== 'string') throw invalidInput('Give the filter as text, e.g. --where \'country = "NL"\'.');
  if (input.length > MAX_FILTER_LENGTH) throw invalidInput(`A filter is at most ${MAX_FILTER_LENGTH} characters.`);
  return { text: input.trim(), filter: parseFilter(input.trim()) };
}

const view = (row: repo.SegmentRow): SegmentView => ({
  id: Number(row.id),
  name: row.slug,
  list: row.list_slug,
  where: row.filter,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/**
 * Segments: named filters over one list's confirmed subscribers, checked against the list's
 * declared attribute types when saved and compiled to parameterised SQL when used. The same
 * compilation serves the live count and a campaign's fan-out.
 */
export function createSegmentsService(deps: { database: Database; lists: ListsService; clock?: Clock }) {
  const { database } = deps;
  const { db } = database;
  const clock = deps.clock ?? systemClock;

  async function requireSegment(nameInput: unknown): Promise<repo.SegmentRow> {
    const name = parseSegmentName(nameInput);
    const row = await repo.findSegment(db, name);
    if (!row) throw notFound(`There is no segment "${name}".`);
    return row;
  }

  /** The audience of a list as one SQL condition (types read from the list), with `now` for relative times. */
  async function condition(listId: number, audience: Audience, now: number) {
    const types = await attributeTypesOf(db, listId);
    return audienceCondition(audience, { dialect: database.dialect, now, types });
  }

  return {
    requireSegment,
    condition,
    findSegmentById: (id: number) => repo.findSegmentById(db, id),
    async requireSegmentById(id: number): Promise<repo.SegmentRow> {
      const row = await repo.findSegmentById(db, id);
      if (!row) throw notFound(`The segment ${id} no longer exists.`);
      return row;
    },

    async create(input: { name: unknown; list: unknown; where: unknown }): Promise<SegmentView> {
      const name = parseSegmentName(input.name);
      const list = await deps.lists.requireList(parseSlug(input.list));
      const { text, filter } = parseWhere(input.where);
      checkFilter(filter, await attributeTypesOf(db, list.id), clock.now());
      if (await repo.findSegment(db, name)) throw new AppError('conflict', `A segment "${name}" exists already.`);
      const id = await repo.insertSegment(db, { slug: name, listId: list.id, filter: text }, clock.now());
      return view((await repo.findSegmentById(db, id)) as repo.SegmentRow);
    },

    async update(nameInput: unknown, input: { where: unknown }): Promise<SegmentView> {
      const row = await requireSegment(nameInput);
      const { text, filter } = parseWhere(input.where);
      checkFilter(filter, await attributeTypesOf(db, row.list_id), clock.now());
      await repo.updateSegmentFilter(db, row.id, text, clock.now());
      return view((await repo.findSegmentById(db, row.id)) as repo.SegmentRow);
    },

    async remove(nameInput: unknown): Promise<{ deleted: string }> {
      const row = await requireSegment(nameInput);
      const using = await repo.campaignsUsingSegment(db, row.id);
      if (using.length > 0)
        throw new AppError(
          'conflict',
          `The segment "${row.slug}" is the audience of campaign${using.length > 1 ? 's' : ''} ${using.join(', ')}; delete it when ${using.length > 1 ? 'they are' : 'it is'} finished or cancelled.`,
        );
      await repo.deleteSegment(db, row.id);
      return { deleted: row.slug };
    },

    async list(): Promise<SegmentView[]> {
      return (await repo.allSegments(db)).map(view);
    },

    async show(nameInput: unknown): Promise<SegmentView> {
      return view(await requireSegment(nameInput));
    },

    /** How many confirmed subscribers of the segment's list meet its filter now (before suppressions). */
    async count(nameInput: unknown): Promise<{ segment: string; list: string; count: number; milliseconds: number }> {
      const row = await requireSegment(nameInput);
      const started = performance.now();
      const where = await condition(row.list_id, { filter: parseFilter(row.filter) }, clock.now());
      const count = await repo.countAudience(db, row.list_id, where, database.counter);
      return {
        segment: row.slug,
        list: row.list_slug,
        count,
        milliseconds: Math.round((performance.now() - started) * 10) / 10,
      };
    },
  };
}

export type SegmentsService = ReturnType<typeof createSegmentsService>;
