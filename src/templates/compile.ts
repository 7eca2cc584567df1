import type { Liquid, Template } from 'liquidjs';
import { invalidInput } from '../shared/app-error.js';
import { FileTagRefused, sandboxedLiquid } from './sandboxed-liquid.js';

/**
 * What campaigns and transactional templates share when a template is saved or compiled: the two
 * sandboxed engines (HTML escapes output, text does not), parsing with a sentence for every
 * refusal, MJML to HTML, and the text part made from HTML.
 */
export interface Engines {
  html: Liquid;
  text: Liquid;
}

/** The owner's layouts folder, or a snapshot's copies of the layouts it was approved with. */
export type LayoutSource = string | Readonly<Record<string, string>>;

const enginesByFolder = new Map<string, Engines>();

function newEngines(layouts: LayoutSource | undefined): Engines {
  return {
    html: sandboxedLiquid({ outputEscape: 'escape', strictFilters: true, ownPropertyOnly: true }, layouts),
    text: sandboxedLiquid({ strictFilters: true, ownPropertyOnly: true }, layouts),
  };
}

/** The engines for a layouts source: one pair per folder (none: they read no file at all). */
export function enginesFor(layouts?: LayoutSource): Engines {
  if (typeof layouts === 'object') return newEngines(layouts);
  const key = layouts ?? '';
  let engines = enginesByFolder.get(key);
  if (!engines) {
    engines = newEngines(layouts);
    enginesByFolder.set(key, engines);
  }
  return engines;
}

/** Parses one template, or throws a 400 sentence naming the part (`what`) and the problem. */
export function parseTemplate(engine: Liquid, source: string, what: string): Template[] {
  try {
    return engine.parse(source);
  } catch (error) {
    const refused =
      error instanceof FileTagRefused
        ? error
        : (error as { originalError?: unknown }).originalError instanceof FileTagRefused
          ? ((error as { originalError: FileTagRefused }).originalError as FileTagRefused)
          : undefined;
    if (refused) {
      const detail = refused.message.includes(':')
        ? refused.message
        : `${refused.message}: templates cannot read files`;
      throw invalidInput(
        `The ${what} template uses ${detail}; put the content in the template itself${
          refused.message.includes(':') ? ' or in a layout of the layouts folder' : ''
        }.`,
      );
    }
    throw invalidInput(`The ${what} template is not valid Liquid: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** MJML to HTML (loaded when needed); `<mj-include>` is refused, since templates read no files. */
export async function mjmlToHtml(source: string): Promise<string> {
  if (/<mj-include\b/i.test(source)) {
    // MJML 5 ignores includes by default; say so instead of dropping the content silently.
    throw invalidInput(
      'The MJML template uses <mj-include>: templates cannot read files; put the content in the template itself.',
    );
  }
  const { default: mjml2html } = await import('mjml');
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(source, { validationLevel: 'soft' });
  } catch (error) {
    // Not MJML at all (plain HTML, text): MJML throws instead of listing errors.
    throw invalidInput(
      `The MJML template could not be compiled: ${(error as Error).message.split('\n')[0]?.slice(0, 200)} (an MJML template starts with <mjml>).`,
    );
  }
  if (!result.html) {
    throw invalidInput(
      `The MJML template could not be compiled: ${result.errors[0]?.formattedMessage ?? result.errors[0]?.message ?? 'unknown error'}`,
    );
  }
  return result.html;
}

/** html-to-text with our options; loaded when a template is compiled, not when the CLI starts. */
export function htmlToText(): Promise<(html: string) => string> {
  // Compiled once (its selectors are parsed then, not at every message): convert() per call
  // recompiles them and cost a millisecond a message.
  converter ??= import('html-to-text').then(({ compile }) => {
    const keepCase = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
      selector,
      options: { uppercase: false },
    }));
    return compile({
      wordwrap: 78,
      selectors: [
        ...keepCase,
        { selector: 'table', options: { uppercaseHeaderCells: false } },
        { selector: 'img', format: 'skip' },
      ],
    });
  });
  return converter;
}

let converter: Promise<(html: string) => string> | undefined;
