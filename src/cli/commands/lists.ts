import type { Command } from 'commander';

import { withDatabase, withServices } from '../context.js';
import { storeImage } from '../image-file.js';

import { printJson, printTable } from '../output.js';

/** The options `lists create` and `lists update` share beyond name and sender. */
interface LanguageAndBrandOptions {
  language?: string;
  browserLanguage?: boolean;
  trackClicks?: boolean;
  trackOpens?: boolean;
  consentLanguage?: string;
  brandName?: string;
  brandLogo?: string;
  brandAccent?: string;
  brandShopUrl?: string;
  brandPrivacyUrl?: string;
  brandAddress?: string;
}

function languageAndBrandOptions(command: Command): Command {
  return command
    .option('--language <code>', 'language of its pages and mail: en, de, nl, fr or es')
    .option('--browser-language', "let the visitor's browser language choose among the consent texts' languages")
    .option('--no-browser-language', "always use the list's language")
    .option('--track-clicks', 'links in its campaign mail go through signed redirects that count clicks')
    .option('--no-track-clicks', 'links go straight to their target (the default)')
    .option('--track-opens', 'its campaign mail carries an open pixel (machine opens are kept apart)')
    .option('--no-track-opens', 'no open pixel (the default)')
    .option('--consent-language <code>', 'the language --consent-text is in (default: the list language)')
    .option('--brand-name <name>', 'shop name on its pages and mail ("" for the shop-wide one)')
    .option('--brand-logo <file>', 'logo image file: PNG, JPEG, GIF or WebP ("" for the shop-wide one)')
    .option('--brand-accent <colour>', 'accent colour, e.g. #1d4ed8')
    .option('--brand-shop-url <url>', 'the shop its pages lead back to')
    .option('--brand-privacy-url <url>', 'its privacy policy')
    .option('--brand-address <text>', 'postal address and imprint in its mail and pages');
}

/** What `lists create` and `lists update` pass on: the fields given, a logo file stored first. */
async function listInput(
  opts: {
    name?: string;
    from?: string;
    replyTo?: string;
    consentText?: string;
    allowedOrigins?: string;
  } & LanguageAndBrandOptions,
  assets: Parameters<typeof storeImage>[0],
): Promise<Record<string, unknown>> {
  return {
    name: opts.name,
    from: opts.from,
    replyTo: opts.replyTo,
    consentText: opts.consentText,
    allowedOrigins: opts.allowedOrigins,
    ...(await languageAndBrandInput(opts, (file) => storeImage(assets, file))),
  };
}

/** The list input of those options; a logo file is stored first and named by its id. */
async function languageAndBrandInput(
  opts: LanguageAndBrandOptions,
  storeLogo: (file: string) => Promise<string>,
): Promise<Record<string, unknown>> {
  const brand: Record<string, unknown> = {};
  const fields = {
    name: opts.brandName,
    accent: opts.brandAccent,
    shopUrl: opts.brandShopUrl,
    privacyUrl: opts.brandPrivacyUrl,
    address: opts.brandAddress,
  };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) brand[key] = value;
  if (opts.brandLogo !== undefined) brand.logo = opts.brandLogo === '' ? '' : await storeLogo(opts.brandLogo);
  return {
    ...(opts.language !== undefined ? { language: opts.language } : {}),
    ...(opts.browserLanguage !== undefined ? { browserLanguage: opts.browserLanguage } : {}),
    ...(opts.trackClicks !== undefined ? { trackClicks: opts.trackClicks } : {}),
    ...(opts.trackOpens !== undefined ? { trackOpens: opts.trackOpens } : {}),
    ...(opts.consentLanguage !== undefined ? { consentLanguage: opts.consentLanguage } : {}),
    ...(Object.keys(brand).length > 0 ? { brand } : {}),
  };
}

/** `listwarden lists …` */
export function registerListsCommands(program: Command): void {
  const lists = program.command('lists').description('create and inspect mailing lists');

  languageAndBrandOptions(
    lists
      .command('create <slug>')
      .description('create a list; the consent text is what people agree to when they sign up')
      .requiredOption('--name <name>', 'name shown to subscribers')
      .requiredOption('--from <mailbox>', 'From address, e.g. "Shop News <news@shop.example>"')
      .option('--reply-to <address>', 'Reply-To address')
      .option('--consent-text <text>', 'the consent wording shown on signup forms')
      .option('--allowed-origins <origins>', 'comma-separated origins allowed to call the JSON signup from a browser')
      .option('--json', 'print JSON'),
  ).action(
    async (
      slug: string,
      opts: {
        name: string;
        from: string;
        replyTo?: string;
        consentText?: string;
        allowedOrigins?: string;
        json?: boolean;
      } & LanguageAndBrandOptions,
    ) => {
      const list = await withServices(async (s) => s.lists.create({ slug, ...(await listInput(opts, s.brandAssets)) }));
      if (opts.json) printJson(list);
      else
        process.stdout.write(
          `Created list ${list.slug} (${list.name}), consent text version ${list.consentText.version}.\n`,
        );
    },
  );

  languageAndBrandOptions(
    lists
      .command('update <slug>')
      .description('change a list; a new consent text becomes the next version (in its language)')
      .option('--name <name>')
      .option('--from <mailbox>')
      .option('--reply-to <address>')
      .option('--consent-text <text>')
      .option('--allowed-origins <origins>')
      .option('--json', 'print JSON'),
  ).action(
    async (
      slug: string,
      opts: {
        name?: string;
        from?: string;
        replyTo?: string;
        consentText?: string;
        allowedOrigins?: string;
        json?: boolean;
      } & LanguageAndBrandOptions,
    ) => {
      const list = await withServices(async (s) => s.lists.update(slug, await listInput(opts, s.brandAssets)));
      if (opts.json) printJson(list);
      else
        process.stdout.write(
          `Updated list ${list.slug} (language ${list.language}); consent texts: ${list.consentTexts
            .map((t) => `${t.language} v${t.version}`)
            .join(', ')}.\n`,
        );
    },
  );

  lists
    .command('list')
    .description('show all lists with subscriber counts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      // The light path: the database alone, so the answer comes at once.
      const { createListsService } = await import('../../lists/lists.service.js');
      const all = await withDatabase(({ database }) => createListsService(database).list());
      if (opts.json) return printJson(all);
      printTable(
        all.map((l) => ({
          slug: l.slug,
          name: l.name,
          from: l.from,
          consent: `v${l.consentText.version}`,
          confirmed: l.counts?.confirmed ?? 0,
          pending: l.counts?.pending ?? 0,
        })),
        ['slug', 'name', 'from', 'consent', 'confirmed', 'pending'],
      );
    });

  lists
    .command('show <slug>')
    .option('--json', 'print JSON')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const list = await withServices((s) => s.lists.show(slug));
      if (opts.json) return printJson(list);
      printTable(
        [
          {
            slug: list.slug,
            name: list.name,
            from: list.from,
            replyTo: list.replyTo,
            origins: list.allowedOrigins.join(','),
          },
        ],
        ['slug', 'name', 'from', 'replyTo', 'origins'],
      );
      process.stdout.write(`Consent text (v${list.consentText.version}): ${list.consentText.text}\n`);
      process.stdout.write(
        `Tracking: clicks ${list.tracking.clicks ? 'on' : 'off'}, opens ${list.tracking.opens ? 'on' : 'off'}\n`,
      );
    });

  lists
    .command('embed <slug>')
    .description('print an HTML signup form to paste into your own site')
    .option('--json', 'print JSON ({"html": …})')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const { embedSnippet } = await import('../../lists/embed-snippet.js');
      const { html } = await withServices(async (s) => {
        const list = await s.lists.show(slug);
        return {
          html: embedSnippet(s.config.publicUrl, list, list.consentText, (key, values) =>
            s.i18n.t(list.language, key, values),
          ),
        };
      });
      if (opts.json) printJson({ html });
      else process.stdout.write(html);
    });
}
