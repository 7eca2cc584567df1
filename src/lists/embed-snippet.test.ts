import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embedSnippet } from './embed-snippet.js';

describe('embedSnippet', () => {
  const html = embedSnippet(
    'https://mail.shop.example',
    { slug: 'news', name: 'Shop <News>' },
    { version: 3, text: 'Yes, send me "offers" & news.' },
  );

  it('posts to the hosted form with labels, the honeypot and the consent version', () => {
    assert.match(html, /<form method="post" action="https:\/\/mail\.shop\.example\/s\/news"/);
    assert.match(
      html,
      /<label for="lw-news-email">Email address<\/label>\n {2}<input type="email" id="lw-news-email" name="email" required/,
    );
    assert.match(html, /name="website" tabindex="-1"/);
    assert.match(html, /name="consent_version" value="3"/);
  });

  it('escapes the list name and the consent text', () => {
    assert.match(html, /Subscribe to Shop &lt;News&gt;/);
    assert.match(html, /Yes, send me &quot;offers&quot; &amp; news\./);
    assert.doesNotMatch(html, /<News>/);
  });
});
