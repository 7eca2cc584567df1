import type { Liquid, Template } from 'liquidjs';
import { usesLayouts } from '../templates/sandboxed-liquid.js';
import {
  enginesFor,
  htmlToText,
  mjmlToHtml,
  parseTemplate,
  type Engines,
  type LayoutSource,
} from '../templates/compile.js';
import { compileFast, renderFast, type FastTemplate } from './fast-template.js';

export type { LayoutSource };

/** What an admin writes: Liquid with the subscriber's fields, optionally inside MJML. */
export interface CampaignSource {
  subject: string;
  html: string;
  text: string | null;
  format: 'html' | 'mjml';
  /**
   * `newsletter`: the source is already inside our layout (newsletter-layout.ts), which carries the
   * footer; set only by that function.
   */
  layout?: 'newsletter' | undefined;
}

/** Parsed once per campaign; each recipient only renders (simple templates without liquidjs). */
export interface CompiledCampaign {
  subject: Part;
  html: Part;
  /** The text template; undefined when the text is made from each rendered HTML (a layout shapes it). */
  text: Part | undefined;
  htmlFooter: Part;
  textFooter: Part;
  /** html-to-text, loaded when the text is made per recipient. */
  toText: ((html: string) => string) | undefined;
  engines: Engines;
}

type Part = { fast: FastTemplate } | { liquid: Template[] };

/** The values a template can use per recipient. */
export interface RecipientData {
  subscriber: Record<string, unknown> & { email: string; name: string };
  list: { name: string };
  /** The subject, rendered (the layout's title); set by renderCampaign. */
  subject?: string;
  unsubscribe_url: string;
  preferences_url: string;
  postal_address: string;
  /** An automation's mail: the data of the event that started the person's run. */
  event?: Record<string, unknown>;
}

const UNSUBSCRIBE_TAG = /\{\{-?\s*unsubscribe_url\s*(\|[^}]*)?-?\}\}/;

/** The refusal for a template that hides the opt-out, or undefined when it shows it. */
export function missingOptOut(source: CampaignSource): string | undefined {
  if (!UNSUBSCRIBE_TAG.test(source.html))
    return 'The HTML template has no {{ unsubscribe_url }}: every marketing mail must show a working opt-out.';
  if (source.text !== null && !UNSUBSCRIBE_TAG.test(source.text)) {
    return 'The text template has no {{ unsubscribe_url }}: every marketing mail must show a working opt-out.';
  }
  return undefined;
}

// The footer every campaign carries, whatever the template does: postal address and opt-out.
const HTML_FOOTER = `
<div style="margin-top:2em;padding-top:1em;border-top:1px solid #dddddd;font-size:12px;line-height:1.5;color:#666666;font-family:Arial,sans-serif">
{{ postal_address }}<br>
<a href="{{ unsubscribe_url }}" style="color:#666666">Unsubscribe</a> &middot; <a href="{{ preferences_url }}" style="color:#666666">Manage your subscription</a>
</div>`;
const TEXT_FOOTER = `

--
{{ postal_address }}
Unsubscribe: {{ unsubscribe_url }}
Manage your subscription: {{ preferences_url }}
`;

/**
 * The footer goes into the rendered HTML, before its last `</body>`: added to the source instead,
 * it would be lost outside the blocks of a template that names a layout.
 */
function withHtmlFooter(html: string, footer: string): string {
  const close = html.lastIndexOf('</body');
  const at = close >= 0 ? close : html.search(/<\/body\s*>(?![\s\S]*<\/body)/i);
  return at < 0 ? html + footer : html.slice(0, at) + footer + '\n' + html.slice(at);
}

function parse(engine: Liquid, source: string, what: string): Part {
  // Parsed even when the fast path applies: a syntax error is reported either way.
  const liquid = parseTemplate(engine, source, what);
  const fast = compileFast(source);
  return fast ? { fast } : { liquid };
}

function render(engine: Liquid, part: Part, scope: Record<string, unknown>, escape: boolean): string {
  return 'fast' in part ? renderFast(part.fast, scope, escape) : (engine.renderSync(part.liquid, scope) as string);
}

/** Compiles a campaign once: MJML to HTML, the footer added, the text part derived, Liquid parsed. */
export async function compileCampaign(source: CampaignSource, layouts?: LayoutSource): Promise<CompiledCampaign> {
  const engines = enginesFor(layouts);
  let html = source.html;
  if (source.format === 'mjml') html = await mjmlToHtml(source.html);
  // A text part made from the HTML source keeps Liquid tags and link targets intact; when a layout
  // shapes the HTML, the text is made from each rendered HTML instead (the source is not the mail).
  const perRecipient = source.text === null && usesLayouts(html);
  const toText = source.text === null ? await htmlToText() : undefined;
  const text = source.text ?? (perRecipient ? undefined : (toText as (html: string) => string)(html));
  // Our layout carries the footer in the HTML (and so in a text part made from it).
  const ownFooter = source.layout === 'newsletter';
  return {
    subject: parse(engines.text, source.subject, 'subject'),
    html: parse(engines.html, html, 'HTML'),
    text: text === undefined ? undefined : parse(engines.text, text, 'text'),
    htmlFooter: parse(engines.html, ownFooter ? '' : HTML_FOOTER, 'footer'),
    textFooter: parse(engines.text, ownFooter && source.text === null ? '' : TEXT_FOOTER, 'footer'),
    toText: perRecipient ? toText : undefined,
    engines,
  };
}

/** Renders one recipient's subject, HTML and text. */
export function renderCampaign(
  compiled: CompiledCampaign,
  data: RecipientData,
): { subject: string; html: string; text: string } {
  const { html, text } = compiled.engines;
  const subject = render(text, compiled.subject, data as unknown as Record<string, unknown>, false)
    .replace(/\s+/g, ' ')
    .trim();
  const scope = { ...data, subject } as unknown as Record<string, unknown>;
  const rendered = render(html, compiled.html, scope, true);
  const body = withHtmlFooter(rendered, render(html, compiled.htmlFooter, scope, true));
  const plain = compiled.text
    ? render(text, compiled.text, scope, false)
    : (compiled.toText as (html: string) => string)(rendered);
  return { subject, html: body, text: plain + render(text, compiled.textFooter, scope, false) };
}
