import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect-sql.js';
import type { TxTemplateRow } from '../db/schema.js';
import { parseMailbox, parseSlug } from '../lists/list-input.js';
import { AppError, invalidInput } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { compileTxTemplate } from './tx-render.js';
import * as repo from './tx.repo.js';

export interface TxTemplateInput {
  name?: unknown;
  format?: unknown;
  subject?: unknown;
  html?: unknown;
  text?: unknown;
  from?: unknown;
  essential?: unknown;
}

export interface TxTemplateView {
  slug: string;
  name: string;
  format: 'liquid' | 'mjml';
  subject: string;
  html: string;
  text: string | null;
  from: string | null;
  essential: boolean;
  createdAt: string;
  updatedAt: string;
}

function view(row: TxTemplateRow): TxTemplateView {
  return {
    slug: row.slug,
    name: row.name,
    format: row.format,
    subject: row.subject,
    html: row.html,
    text: row.text,
    from: row.from_address,
    essential: row.essential === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput(`Give the template's ${field}.`);
  if (value.length > max) throw invalidInput(`The ${field} is at most ${max} characters.`);
  return value.replace(/\r\n?/g, '\n');
}

/** The fields of a new template or of a change over the current one, checked and compiled. */
async function fieldsOf(input: TxTemplateInput, current: TxTemplateRow | undefined): Promise<repo.TemplateFields> {
  const format = input.format ?? current?.format ?? 'liquid';
  if (format !== 'liquid' && format !== 'mjml') throw invalidInput('The format is liquid or mjml.');
  const subject = input.subject !== undefined ? text(input.subject, 'subject', 998) : current?.subject;
  const html = input.html !== undefined ? text(input.html, 'HTML', 1_000_000) : current?.html;
  if (subject === undefined) throw invalidInput("Give the template's subject.");
  if (html === undefined) throw invalidInput("Give the template's HTML.");
  if (/[\r\n]/.test(subject)) throw invalidInput('The subject is one line.');
  const plain =
    input.text === null || input.text === ''
      ? null
      : input.text !== undefined
        ? text(input.text, 'text', 1_000_000)
        : (current?.text ?? null);
  const fromInput = input.from !== undefined ? input.from : current?.from_address;
  const from = fromInput === null || fromInput === '' || fromInput === undefined ? null : fromInput;
  if (from !== null) parseMailbox(from, "The template's From");
  if (input.essential !== undefined && typeof input.essential !== 'boolean')
    throw invalidInput('"essential" is true or false.');
  const name = input.name !== undefined ? text(input.name, 'name', 200) : (current?.name ?? '');
  const fields = {
    name,
    format,
    subject,
    html,
    text: plain,
    fromAddress: from as string | null,
    essential: input.essential !== undefined ? (input.essential as boolean) : current?.essential === 1,
  } satisfies repo.TemplateFields;
  await compileTxTemplate({ format, subject, html, text: plain });
  return fields;
}

/** Stored transactional templates by slug (`listwarden templates`, `/api/v1/templates`). */
export function createTxTemplatesService(options: { database: Database; clock: Clock }) {
  const { database, clock } = options;
  const { db } = database;

  async function find(slugInput: unknown): Promise<TxTemplateRow> {
    const slug = typeof slugInput === 'string' ? slugInput.trim() : '';
    const row = slug ? await repo.templateBySlug(db, slug) : undefined;
    if (!row) throw new AppError('not_found', `There is no template "${slug.slice(0, 64)}".`);
    return row;
  }

  return {
    find,
    async create(slugInput: unknown, input: TxTemplateInput): Promise<TxTemplateView> {
      const slug = parseSlug(slugInput);
      const fields = await fieldsOf({ ...input, name: input.name ?? slug }, undefined);
      try {
        await repo.insertTemplate(db, slug, fields, clock.now());
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('conflict', `A template "${slug}" exists already; change it with templates update.`);
        throw error;
      }
      return view(await find(slug));
    },
    async update(slugInput: unknown, input: TxTemplateInput): Promise<TxTemplateView> {
      const current = await find(slugInput);
      await repo.updateTemplate(db, Number(current.id), await fieldsOf(input, current), clock.now());
      return view(await find(current.slug));
    },
    async list(): Promise<TxTemplateView[]> {
      return (await repo.allTemplates(db)).map(view);
    },
    async show(slugInput: unknown): Promise<TxTemplateView> {
      return view(await find(slugInput));
    },
  };
}

export type TxTemplatesService = ReturnType<typeof createTxTemplatesService>;
