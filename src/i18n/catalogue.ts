import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from './languages.js';

/** Values a message may name: `{list}`, `{days, plural, …}`. */
export type MessageValues = Record<string, string | number>;

/** Formats a catalogue message in a language; the shop's overrides win over the built-in text. */
export interface Translator {
  t(language: Language, key: string, values?: MessageValues): string;
}

type Catalogue = Readonly<Record<string, string>>;

/** The built-in catalogues: one JSON file per language in `<views>/locales`. */
export function readCatalogue(dir: string, language: Language): Catalogue {
  const file = join(dir, `${language}.json`);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${file} must hold one JSON object of message keys and texts.`);
  const messages: Record<string, string> = {};
  for (const [key, text] of Object.entries(parsed)) {
    if (typeof text !== 'string') throw new Error(`${file}: the message "${key}" must be a string.`);
    messages[key] = text;
  }
  return messages;
}

/**
 * A translator over the built-in catalogues and a shop's folder of overrides
 * (`<templates folder>/locales/<language>.json`, only the keys it changes). An override that is not
 * valid ICU MessageFormat is reported through `warn` once and the built-in text is used.
 */
export function createTranslator(options: {
  builtinDir: string;
  overrideDir?: string;
  warn?: (message: string) => void;
}): Translator {
  const builtin = new Map<Language, Catalogue>();
  const overrides = new Map<Language, Catalogue>();
  for (const language of LANGUAGES) {
    builtin.set(language, readCatalogue(options.builtinDir, language));
    if (options.overrideDir) {
      try {
        overrides.set(language, readCatalogue(resolve(options.overrideDir), language));
      } catch (error) {
        options.warn?.((error as Error).message);
      }
    }
  }
  const compiled = new Map<string, IntlMessageFormat | null>();

  function compile(language: Language, key: string, source: 'override' | 'builtin'): IntlMessageFormat | null {
    const id = `${source}\u0000${language}\u0000${key}`;
    const known = compiled.get(id);
    if (known !== undefined) return known;
    const text = (source === 'override' ? overrides : builtin).get(language)?.[key];
    let format: IntlMessageFormat | null = null;
    if (text !== undefined) {
      try {
        format = new IntlMessageFormat(text, language, undefined, { ignoreTag: true });
      } catch (error) {
        options.warn?.(
          `The ${source} message "${key}" (${language}) is not valid ICU MessageFormat: ${(error as Error).message}`,
        );
      }
    }
    compiled.set(id, format);
    return format;
  }

  return {
    t(language, key, values = {}) {
      const format =
        compile(language, key, 'override') ??
        compile(language, key, 'builtin') ??
        compile(DEFAULT_LANGUAGE, key, 'override') ??
        compile(DEFAULT_LANGUAGE, key, 'builtin');
      if (!format) return key;
      try {
        return String(format.format(values));
      } catch {
        // A value the message names is missing: the English text, which names the same values, would fail too.
        return key;
      }
    },
  };
}

/** A translator that follows the templates folder setting: rebuilt when the folder changes. */
export function liveTranslator(builtinDir: string, folder: () => string, warn?: (message: string) => void): Translator {
  let current: { folder: string; translator: Translator } | undefined;
  return {
    t(language, key, values) {
      const wanted = folder();
      if (current?.folder !== wanted) {
        current = {
          folder: wanted,
          translator: createTranslator({ builtinDir, overrideDir: join(wanted, 'locales'), ...(warn ? { warn } : {}) }),
        };
      }
      return current.translator.t(language, key, values);
    },
  };
}
