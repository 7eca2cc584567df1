import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';
import { createTranslator, type MessageValues, type Translator } from '../i18n/catalogue.js';
import { DEFAULT_LANGUAGE, isLanguage } from '../i18n/languages.js';

/** Renders named Liquid templates; a shop's own templates folder wins over the built-in ones. */
export interface TemplateRenderer {
  render(name: string, data: Record<string, unknown>): Promise<string>;
}

/** The built-in message catalogues (`views/locales/<language>.json`). */
export function builtinLocalesDir(): string {
  return join(builtinViewsDir(), 'locales');
}

/**
 * `{{ "signup.title" | t: list: list.name }}`: the catalogue message in the language the page or
 * mail is rendered in (the `lang` variable), with keyword arguments as the message's values.
 */
export function registerTranslateFilter(engine: Liquid, translator: Translator): void {
  engine.registerFilter('t', function (key: unknown, ...args: unknown[]) {
    const lang = this.context.getSync(['lang']);
    const values: MessageValues = {};
    for (const arg of args) {
      if (!Array.isArray(arg) || typeof arg[0] !== 'string') continue;
      const value: unknown = arg[1];
      values[arg[0]] = typeof value === 'number' || typeof value === 'string' ? value : '';
    }
    return translator.t(isLanguage(lang) ? lang : DEFAULT_LANGUAGE, String(key), values);
  });
}

/** Where the built-in templates live (`views/` at the package root, from src/ and dist/ alike). */
export function builtinViewsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'views', 'pages'))) return join(dir, 'views');
  }
  throw new Error('built-in views/ folder not found');
}

/**
 * `kind` selects a subfolder (pages, mail). HTML output escapes every `{{ }}` by default, so
 * subscriber input can never become markup; text output is left as written.
 */
export function createTemplateRenderer(options: {
  overrideDir: string;
  kind: 'pages' | 'mail';
  format: 'html' | 'text';
  /** The catalogue the `t` filter reads; by default the built-in one with the folder's overrides. */
  translator?: Translator;
}): TemplateRenderer {
  const roots = [resolve(options.overrideDir, options.kind), join(builtinViewsDir(), options.kind)];
  const engine = new Liquid({
    root: roots,
    partials: roots,
    layouts: roots,
    extname: '.liquid',
    cache: true,
    strictFilters: true,
    ownPropertyOnly: true,
    ...(options.format === 'html' ? { outputEscape: 'escape' as const } : {}),
  });
  registerTranslateFilter(
    engine,
    options.translator ??
      createTranslator({ builtinDir: builtinLocalesDir(), overrideDir: resolve(options.overrideDir, 'locales') }),
  );
  return {
    render: (name, data) => engine.renderFile(name, data) as Promise<string>,
  };
}

/** A renderer that follows a templates folder setting: rebuilt when the folder changes. */
export function liveTemplates(
  folder: () => string,
  kind: 'pages' | 'mail',
  format: 'html' | 'text',
  translator?: Translator,
): TemplateRenderer {
  let current: { folder: string; renderer: TemplateRenderer } | undefined;
  return {
    render(name, data) {
      const wanted = folder();
      if (current?.folder !== wanted)
        current = {
          folder: wanted,
          renderer: createTemplateRenderer({
            overrideDir: wanted,
            kind,
            format,
            ...(translator ? { translator } : {}),
          }),
        };
      return current.renderer.render(name, data);
    },
  };
}
