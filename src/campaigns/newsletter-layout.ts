import { contrast, type BrandData } from '../brand/brand.js';
import { escapeHtml } from '../shared/html.js';
import { isLanguage, type Language } from '../i18n/languages.js';
import type { CampaignSource } from './campaign-template.js';

/** Which layout a campaign's content goes into: ours (a shop's newsletter) or none (a whole document). */
export type CampaignLayout = 'newsletter' | 'none';

/** The layout a new campaign gets when none is asked for: ours, unless the content is a whole document. */
export function defaultLayout(html: string): CampaignLayout {
  return /<(?:html|body|mjml)\b|\{%-?\s*layout\b/i.test(html) ? 'none' : 'newsletter';
}

/** The words of the layout, in the list's language (from the catalogue). */
export interface NewsletterWords {
  unsubscribe: string;
  manage: string;
  privacy: string;
  why: string;
  visitShop: string;
}

/**
 * Values written into the layout (names, words, URLs) are text, not template: HTML-escaped, and
 * their braces as character references so Liquid never reads a shop's name as a tag.
 */
const text = (value: string) => escapeHtml(value).replace(/\{/g, '&#123;').replace(/\}/g, '&#125;');
const attr = text;

/**
 * The default campaign layout: responsive MJML with the brand's header (logo or name, linked to the
 * shop), the content, and a footer with why the mail came, the postal address, the opt-out and the
 * preference links, and the privacy policy. Light and dark (prefers-color-scheme), readable without
 * images. Brand values and words are written in when the campaign is approved, so the approved
 * layout is what goes out; per recipient only the links and the content's Liquid are rendered.
 * HTML content goes into one text block; MJML content (sections) goes in as it is. Pure.
 */
export function newsletterSource(
  source: CampaignSource,
  brand: BrandData,
  words: NewsletterWords,
  language: string,
): CampaignSource {
  const accent = attr(brand.accent);
  const name = brand.name ? text(brand.name) : '';
  const logo = brand.logo_url
    ? `<mj-image src="${attr(brand.logo_url)}" alt="${attr(brand.name)}" width="${brand.logo_width}px" height="${brand.logo_height}px" align="left" padding="0"${brand.shop_url ? ` href="${attr(brand.shop_url)}"` : ''} />`
    : `<mj-text css-class="brand-name" font-size="22px" font-weight="700" padding="0">${brand.shop_url ? `<a href="${attr(brand.shop_url)}" style="color:inherit;text-decoration:none">${name}</a>` : name}</mj-text>`;
  const content =
    source.format === 'mjml'
      ? source.html
      : `<mj-section css-class="card" background-color="#ffffff" padding="8px 0"><mj-column><mj-text css-class="content" font-size="16px" line-height="1.6">${source.html}</mj-text></mj-column></mj-section>`;
  const links = [
    `<a href="{{ unsubscribe_url }}" style="color:#555555">${text(words.unsubscribe)}</a>`,
    `<a href="{{ preferences_url }}" style="color:#555555">${text(words.manage)}</a>`,
    ...(brand.privacy_url
      ? [`<a href="${attr(brand.privacy_url)}" style="color:#555555">${text(words.privacy)}</a>`]
      : []),
  ].join(' &middot; ');
  const html = `<mjml lang="${attr(language)}">
  <mj-head>
    <mj-title>{{ subject }}</mj-title>
    <mj-attributes>
      <mj-all font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" />
      <mj-text color="#1a1a1a" />
      <mj-button background-color="${accent}" color="${attr(brand.accent_text)}" border-radius="6px" font-weight="600" />
    </mj-attributes>
    <mj-raw><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"></mj-raw>
    <mj-style>
      :root { color-scheme: light dark; supported-color-schemes: light dark; }
      .content a { color: ${contrast(brand.accent, '#ffffff') >= 4.5 ? accent : '#1d4ed8'}; }
      .content h1 { font-size: 26px; line-height: 1.25; margin: 0 0 12px; overflow-wrap: break-word; }
      .content h2 { font-size: 20px; line-height: 1.3; }
      @media (prefers-color-scheme: dark) {
        body, body > div { background: #111827 !important; }
        .card, .card > table, .card td { background: #1f2937 !important; }
        .card div, .brand-name div, .footer div { color: #f3f4f6 !important; }
        .content a, .footer a { color: #93c5fd !important; }
      }
    </mj-style>
  </mj-head>
  <mj-body background-color="#f3f4f6" width="600px">
    <mj-section css-class="card" background-color="#ffffff" padding="20px 24px 12px" border-top="4px solid ${accent}">
      <mj-column>${logo}</mj-column>
    </mj-section>
    ${content}
    <mj-section css-class="card" background-color="#ffffff" padding="0 24px 24px">
      <mj-column>
        <mj-divider border-width="1px" border-color="#dddddd" padding="8px 0 16px" />
        <mj-text css-class="footer" font-size="12px" line-height="1.6" color="#555555" padding="0">
          <p style="margin:0 0 6px">${text(words.why)}</p>
          <p style="margin:0 0 6px">{{ postal_address }}</p>
          <p style="margin:0">${links}</p>
          ${brand.shop_url ? `<p style="margin:6px 0 0"><a href="${attr(brand.shop_url)}" style="color:#555555">${text(words.visitShop)}</a></p>` : ''}
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;
  return { ...source, html, format: 'mjml', layout: 'newsletter' };
}

/** What the layout needs of a list: its brand and its words, in its language. */
export interface ListLook {
  brand: BrandData;
  words: NewsletterWords;
  language: string;
}

/** The list's look from the brand resolver and the catalogue (the composition root hands both). */
export function createListLook(deps: {
  brand: (list: { brand: string; name: string }) => Promise<BrandData>;
  t: (language: Language, key: string, values?: Record<string, string>) => string;
}): (list: { brand: string; name: string; language: string }) => Promise<ListLook> {
  return async (list) => {
    const language: Language = isLanguage(list.language) ? list.language : 'en';
    const shop = await deps.brand(list);
    // A shop without a name or logo: the list's name heads its newsletter.
    const brand = shop.name || shop.logo_url ? shop : { ...shop, name: list.name };
    const t = (key: string, values?: Record<string, string>) => deps.t(language, key, values);
    return {
      brand,
      language,
      words: {
        unsubscribe: t('campaign.unsubscribe'),
        manage: t('campaign.manage'),
        privacy: t('campaign.privacy'),
        why: t('campaign.why', { list: list.name }),
        visitShop: t('campaign.view_shop', { shop: brand.name || list.name }),
      },
    };
  };
}

/** A campaign's source as it is compiled: inside our layout when it has one. */
export function campaignSource(
  campaign: { subject: string; html: string; text: string | null; format: 'html' | 'mjml'; layout: CampaignLayout },
  look: ListLook | undefined,
): CampaignSource {
  const source: CampaignSource = {
    subject: campaign.subject,
    html: campaign.html,
    text: campaign.text,
    format: campaign.format,
  };
  return campaign.layout === 'newsletter' && look
    ? newsletterSource(source, look.brand, look.words, look.language)
    : source;
}

/** A stand-in look for checking that content compiles inside the layout (no list at hand). */
export const PLAIN_LOOK: ListLook = {
  brand: {
    name: '',
    logo_url: '',
    logo_width: 0,
    logo_height: 0,
    accent: '#1d4ed8',
    accent_text: '#ffffff',
    shop_url: '',
    privacy_url: '',
    address: '',
  },
  words: {
    unsubscribe: 'Unsubscribe',
    manage: 'Manage your subscription',
    privacy: 'Privacy policy',
    why: '',
    visitShop: '',
  },
  language: 'en',
};
