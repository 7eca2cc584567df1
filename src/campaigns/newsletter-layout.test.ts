import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brandData, resolveBrand } from '../brand/brand.js';
import { compileCampaign, renderCampaign } from './campaign-template.js';
import { campaignSource, defaultLayout, newsletterSource } from './newsletter-layout.js';

const brand = brandData(
  resolveBrand(
    {
      name: 'Tulip <Shop>',
      logo: `${'b'.repeat(32)}.png`,
      accent: '#c2185b',
      shopUrl: 'https://shop.example/',
      privacyUrl: 'https://shop.example/privacy',
    },
    {},
  ),
  'https://mail.shop.example',
  { width: 240, height: 80 },
);
const words = {
  unsubscribe: 'Abmelden',
  manage: 'Abonnement verwalten',
  privacy: 'Datenschutz',
  why: 'Sie erhalten diese E-Mail, weil Sie Shop News abonniert haben.',
  visitShop: 'Zu Tulip Shop',
};
const recipient = {
  subscriber: { email: 'anna@example.test', name: 'Anna' },
  list: { name: 'Shop News' },
  unsubscribe_url: 'https://mail.shop.example/u/TOKEN',
  preferences_url: 'https://mail.shop.example/p/TOKEN',
  postal_address: 'Tulip Shop BV, Keizersgracht 1, Amsterdam',
};

describe("the default campaign layout (a shop's newsletter)", () => {
  it('is the default for content, not for a whole document or a template naming a layout', () => {
    assert.equal(defaultLayout('<h1>Sale</h1><p>20% off</p>'), 'newsletter');
    assert.equal(defaultLayout('<mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section>'), 'newsletter');
    assert.equal(defaultLayout('<html><body>Sale</body></html>'), 'none');
    assert.equal(defaultLayout('<mjml><mj-body></mj-body></mjml>'), 'none');
    assert.equal(defaultLayout('{% layout "shop" %}{% block content %}x{% endblock %}'), 'none');
  });

  it('wraps content in the brand, with one footer (why, address, opt-out, preferences, privacy), in the language, under 102 KB', async () => {
    const source = newsletterSource(
      {
        subject: 'Winterschlussverkauf, {{ subscriber.name }}',
        html: '<h1>Winterschlussverkauf</h1><p>Hallo {{ subscriber.name }}, 20 % auf alles.</p>',
        text: null,
        format: 'html',
      },
      brand,
      words,
      'de',
    );
    const mail = renderCampaign(await compileCampaign(source), recipient);
    assert.equal(mail.subject, 'Winterschlussverkauf, Anna');
    assert.match(mail.html, /<html lang="de"/);
    assert.match(mail.html, /<title>Winterschlussverkauf, Anna<\/title>/);
    assert.match(mail.html, /<img\s+alt="Tulip &lt;Shop&gt;" src="https:\/\/mail\.shop\.example\/brand\/b{32}\.png"/);
    assert.match(mail.html, /href="https:\/\/shop\.example\/"/);
    assert.match(mail.html, /Hallo Anna, 20 % auf alles\./);
    assert.match(mail.html, /border-top:4px solid #c2185b/);
    assert.match(mail.html, /prefers-color-scheme: dark/);
    assert.equal(
      mail.html.match(/https:\/\/mail\.shop\.example\/u\/TOKEN/g)?.length,
      1,
      'one opt-out link, not two footers',
    );
    assert.match(
      mail.html,
      />Abmelden<\/a> &middot; <a href="https:\/\/mail\.shop\.example\/p\/TOKEN"[^>]*>Abonnement verwalten<\/a> &middot; <a href="https:\/\/shop\.example\/privacy"/,
    );
    assert.match(mail.html, /Tulip Shop BV, Keizersgracht 1, Amsterdam/);
    assert.ok(
      Buffer.byteLength(mail.html) < 102 * 1024,
      `${Buffer.byteLength(mail.html)} bytes: Gmail clips at 102 KB`,
    );
    // The text part reads as a letter: the content, then the footer with each link written out.
    assert.match(mail.text, /Winterschlussverkauf\n\nHallo Anna, 20 % auf alles\./);
    assert.match(mail.text, /Sie erhalten diese E-Mail, weil Sie Shop News abonniert haben\.\n\nTulip Shop BV/);
    assert.match(mail.text, /Abmelden \[https:\/\/mail\.shop\.example\/u\/TOKEN\]/);
    assert.doesNotMatch(mail.text, /<|\{\{/);
    assert.doesNotMatch(mail.html, /fonts\.googleapis|@import/, 'no web fonts: opening a mail tells nobody else');
  });

  it("writes a shop's name as text, never as a template: braces stay braces", async () => {
    const odd = { ...brand, name: 'Tom {% Jerry {{ unsubscribe_url }}' };
    const source = newsletterSource({ subject: 'S', html: '<p>Hi</p>', text: null, format: 'html' }, odd, words, 'en');
    const mail = renderCampaign(await compileCampaign(source), recipient);
    assert.match(mail.html, /alt="Tom &#123;% Jerry &#123;&#123; unsubscribe_url &#125;&#125;"/);
    assert.equal(mail.html.match(/\/u\/TOKEN/g)?.length, 1, 'the name did not become a link');
  });

  it('keeps a campaign without our layout as written, with the plain footer added', async () => {
    const plain = campaignSource(
      {
        subject: 'S',
        html: '<html><body><p>Hi</p><a href="{{ unsubscribe_url }}">x</a></body></html>',
        text: null,
        format: 'html',
        layout: 'none',
      },
      { brand, words, language: 'de' },
    );
    assert.equal(plain.layout, undefined);
    const mail = renderCampaign(await compileCampaign(plain), recipient);
    assert.match(mail.html, /<p>Hi<\/p>/);
    assert.match(mail.html, /Manage your subscription/);
  });
});
