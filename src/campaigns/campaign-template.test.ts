import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCampaign, missingOptOut, renderCampaign, type RecipientData } from './campaign-template.js';

const data: RecipientData = {
  subscriber: { email: 'ann@example.test', name: 'Ann <b>', city: 'Delft' },
  list: { name: 'Shop News' },
  unsubscribe_url: 'https://m.test/u/TOKEN',
  preferences_url: 'https://m.test/p/PREF',
  postal_address: 'Shop BV, Keizersgracht 1, Amsterdam',
};

describe('campaign templates', () => {
  it('refuses a template without {{ unsubscribe_url }}', () => {
    assert.match(
      missingOptOut({ subject: 's', html: '<p>Buy now</p>', text: null, format: 'html' }) ?? '',
      /no \{\{ unsubscribe_url \}\}/,
    );
    assert.match(
      missingOptOut({ subject: 's', html: '<a href="{{ unsubscribe_url }}">x</a>', text: 'no link', format: 'html' }) ??
        '',
      /text template/,
    );
    assert.equal(
      missingOptOut({ subject: 's', html: '<a href="{{unsubscribe_url}}">x</a>', text: null, format: 'html' }),
      undefined,
    );
  });

  it('renders per recipient with escaping, a derived text part and the footer', async () => {
    const compiled = await compileCampaign({
      subject: 'Hello {{ subscriber.name }}, news from {{ list.name }}',
      html: '<html><body><h1>Hi {{ subscriber.name }}</h1><p>Sale in {{ subscriber.city }}!</p><a href="{{ unsubscribe_url }}">Stop these mails</a></body></html>',
      text: null,
      format: 'html',
    });
    const out = renderCampaign(compiled, data);
    assert.equal(out.subject, 'Hello Ann <b>, news from Shop News');
    assert.match(out.html, /<h1>Hi Ann &lt;b&gt;<\/h1>/);
    assert.match(out.html, /Shop BV, Keizersgracht 1, Amsterdam<br>\s*<a href="https:\/\/m\.test\/u\/TOKEN"/);
    assert.ok(out.html.indexOf('Keizersgracht') < out.html.indexOf('</body>'), 'footer inside the body');
    assert.match(out.text, /Hi Ann <b>/);
    assert.match(out.text, /Sale in Delft!/);
    assert.match(out.text, /Stop these mails \[https:\/\/m\.test\/u\/TOKEN\]/);
    assert.match(
      out.text,
      /--\nShop BV, Keizersgracht 1, Amsterdam\nUnsubscribe: https:\/\/m\.test\/u\/TOKEN\nManage your subscription: https:\/\/m\.test\/p\/PREF/,
    );
  });

  it('compiles MJML once and keeps Liquid in it', async () => {
    const compiled = await compileCampaign({
      subject: 'x',
      html: '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ subscriber.name }}</mj-text><mj-button href="{{ unsubscribe_url }}">Unsubscribe</mj-button></mj-column></mj-section></mj-body></mjml>',
      text: 'Hi {{ subscriber.name }} {{ unsubscribe_url }}',
      format: 'mjml',
    });
    const out = renderCampaign(compiled, data);
    assert.match(out.html, /Hi Ann &lt;b&gt;/);
    assert.match(out.html, /href="https:\/\/m\.test\/u\/TOKEN"/);
    assert.match(out.text, /^Hi Ann <b> https:\/\/m\.test\/u\/TOKEN/);
  });

  it('reports broken templates in a sentence', async () => {
    await assert.rejects(
      compileCampaign({ subject: '{% if %}', html: '{{ unsubscribe_url }}', text: null, format: 'html' }),
      { code: 'invalid_input', message: /subject template is not valid Liquid/ },
    );
  });
});

describe('campaign templates read no files', () => {
  const source = (html: string, format: 'html' | 'mjml' = 'html') => ({
    subject: 'Sale',
    html: `${html}<a href="{{ unsubscribe_url }}">Unsubscribe</a>`,
    text: null,
    format,
  });

  it('refuses include, render and layout with one sentence, for relative and absolute paths', async () => {
    for (const [tag, html] of [
      ['include', "{% include 'data/secret' %}"],
      ['include', '{%- include "/etc/passwd" -%}'],
      ['render', "{% render 'package.json' %}"],
      ['layout', "{% layout 'data/secret' %}"],
      ['include', "{% liquid\n include 'data/secret'\n%}"],
      ['include', '{% liquid liquid include "data/secret" %}'],
      ['render', '{% liquid\r\n  liquid\r\n  render secretName %}'],
    ] as const) {
      await assert.rejects(compileCampaign(source(html)), {
        message: `The HTML template uses {% ${tag} %}: templates cannot read files; put the content in the template itself.`,
      });
    }
    await assert.rejects(
      compileCampaign({ ...source('<p>x</p>'), subject: "{% include 'data/secret' %}" }),
      /The subject template uses \{% include %\}/,
    );
  });

  it('refuses mj-include in MJML', async () => {
    const mjml = '<mjml><mj-body><mj-include path="data/secret" type="html" /></mj-body></mjml>';
    await assert.rejects(
      compileCampaign({ ...source('', 'mjml'), html: mjml }),
      /uses <mj-include>: templates cannot read files/,
    );
  });
});
