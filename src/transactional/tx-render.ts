import type { Template } from 'liquidjs';
import type { TxTemplateRow } from '../db/schema.js';
import { enginesFor, htmlToText, mjmlToHtml, parseTemplate } from '../templates/compile.js';

/** A stored template, compiled once: MJML to HTML, Liquid parsed, the text part from the HTML when none. */
export interface CompiledTxTemplate {
  subject: Template[];
  html: Template[];
  text: Template[] | undefined;
  toText: ((html: string) => string) | undefined;
}

/** Parses every part (a 400 sentence for what is wrong): what `templates create|update` checks. */
export async function compileTxTemplate(source: {
  format: 'liquid' | 'mjml';
  subject: string;
  html: string;
  text: string | null;
}): Promise<CompiledTxTemplate> {
  // No layouts folder: a transactional template reads no file at all.
  const engines = enginesFor();
  const html = source.format === 'mjml' ? await mjmlToHtml(source.html) : source.html;
  return {
    subject: parseTemplate(engines.text, source.subject, 'subject'),
    html: parseTemplate(engines.html, html, 'HTML'),
    text: source.text === null ? undefined : parseTemplate(engines.text, source.text, 'text'),
    toText: source.text === null ? await htmlToText() : undefined,
  };
}

/** Renders a compiled template with a message's data (the same limits as campaigns: 1 s, 64 MB). */
export function renderTxTemplate(
  compiled: CompiledTxTemplate,
  scope: Record<string, unknown>,
): { subject: string; html: string; text: string } {
  const engines = enginesFor();
  const subject = String(engines.text.renderSync(compiled.subject, scope)).replace(/\s+/g, ' ').trim();
  const html = String(engines.html.renderSync(compiled.html, { ...scope, subject }));
  const text = compiled.text
    ? String(engines.text.renderSync(compiled.text, { ...scope, subject }))
    : (compiled.toText as (html: string) => string)(html);
  return { subject, html, text };
}

/** Compiled templates by id and version (updated_at), so a changed template is compiled again. */
export function createTemplateCache(limit = 200) {
  const cache = new Map<string, Promise<CompiledTxTemplate>>();
  return (row: TxTemplateRow): Promise<CompiledTxTemplate> => {
    const key = `${row.id}:${row.updated_at}`;
    let compiled = cache.get(key);
    if (!compiled) {
      if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
      compiled = compileTxTemplate(row);
      compiled.catch(() => cache.delete(key));
      cache.set(key, compiled);
    }
    return compiled;
  };
}
