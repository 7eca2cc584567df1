import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { builtinLocalesDir } from '../templates/liquid.js';
import { createTranslator } from './catalogue.js';
import { chooseLanguage, LANGUAGES, parseLanguage } from './languages.js';

const catalogue = (language: string) =>
  JSON.parse(readFileSync(join(builtinLocalesDir(), `${language}.json`), 'utf8')) as Record<string, string>;

/** The argument names a message uses (`{list}`, `{days, plural, …}`), nested ones too. */
function argumentsOf(elements: MessageFormatElement[], found = new Set<string>()): Set<string> {
  for (const e of elements) {
    if (e.type === TYPE.argument || e.type === TYPE.number || e.type === TYPE.date) found.add(e.value);
    if (e.type === TYPE.plural || e.type === TYPE.select) {
      found.add(e.value);
      for (const option of Object.values(e.options)) argumentsOf(option.value, found);
    }
  }
  return found;
}

describe('the catalogues of the public pages and system mail', () => {
  const english = catalogue('en');

  for (const language of LANGUAGES) {
    it(`${language}: every English key, valid ICU MessageFormat, the same values as the English`, () => {
      const messages = catalogue(language);
      assert.deepEqual(Object.keys(messages), Object.keys(english), 'the same keys in the same order');
      for (const [key, text] of Object.entries(messages)) {
        const names = [...argumentsOf(parse(text))].sort();
        const expected = [...argumentsOf(parse(english[key] as string))].sort();
        assert.deepEqual(names, expected, `${language} ${key}`);
        assert.ok(text.trim() !== '', `${language} ${key} is empty`);
      }
    });
  }

  it('formats plurals per language and falls back to English, then to the key', () => {
    const t = createTranslator({ builtinDir: builtinLocalesDir() });
    assert.match(t.t('de', 'signup_done.hint', { days: 1 }), /1 Tag\b/);
    assert.match(t.t('de', 'signup_done.hint', { days: 7 }), /7 Tage\b/);
    assert.match(t.t('fr', 'link.expired_body', { days: 7 }), /7 jours/);
    assert.equal(t.t('nl', 'no.such.key'), 'no.such.key');
  });

  it("takes the shop's overrides, and ignores one that is not valid ICU with a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-locales-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'de.json'),
        JSON.stringify({ 'signup.submit': 'Jetzt anmelden', 'signup.title': 'Kaputt {list' }),
      );
      const warnings: string[] = [];
      const t = createTranslator({ builtinDir: builtinLocalesDir(), overrideDir: dir, warn: (m) => warnings.push(m) });
      assert.equal(t.t('de', 'signup.submit'), 'Jetzt anmelden');
      assert.equal(t.t('de', 'signup.title', { list: 'News' }), 'News abonnieren', 'the built-in text instead');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /signup\.title.*de.*not valid ICU/);
      assert.equal(t.t('en', 'signup.submit'), 'Subscribe');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("choosing the page's language", () => {
  it("takes the browser's first offered language, its base language for a region, else the fallback", () => {
    assert.equal(chooseLanguage('de-AT,de;q=0.9,en;q=0.5', ['en', 'de'], 'en'), 'de');
    assert.equal(chooseLanguage('de-AT', ['en', 'de'], 'en'), 'de');
    assert.equal(chooseLanguage('fr-FR,fr;q=0.9,en;q=0.8', ['en', 'de'], 'de'), 'en');
    assert.equal(chooseLanguage('fr-FR', ['en', 'de'], 'de'), 'de');
    assert.equal(chooseLanguage('nl;q=0.2, es;q=0.9', ['nl', 'es'], 'en'), 'es');
    assert.equal(chooseLanguage(undefined, ['nl'], 'en'), 'en');
    assert.equal(chooseLanguage(';;;,,q=x', ['nl'], 'en'), 'en');
    assert.equal(chooseLanguage('x'.repeat(10_000), ['nl'], 'en'), 'en');
  });

  it('refuses a language it has no catalogue for, naming the five', () => {
    assert.equal(parseLanguage(' NL '), 'nl');
    assert.throws(() => parseLanguage('it'), /must be one of en, de, nl, fr, es/);
  });
});
