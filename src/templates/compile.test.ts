import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enginesFor, htmlToText, mjmlToHtml, parseTemplate } from './compile.js';

describe('compiling templates', () => {
  it('says what is wrong with MJML in a sentence, also when it is not MJML at all', async () => {
    assert.match(await mjmlToHtml('<mjml><mj-body><mj-text>Hi</mj-text></mj-body></mjml>'), /Hi/);
    await assert.rejects(mjmlToHtml('hello'), {
      code: 'invalid_input',
      message: /could not be compiled.*starts with <mjml>/,
    });
    await assert.rejects(mjmlToHtml('<p>hi</p>'), { code: 'invalid_input' });
    await assert.rejects(mjmlToHtml('<mjml><mj-include path="/etc/passwd" /></mjml>'), /cannot read files/);
  });

  it('refuses file tags when a template is parsed, and makes text of HTML with one compiled converter', async () => {
    assert.throws(() => parseTemplate(enginesFor().html, '{% include "secret" %}', 'HTML'), /cannot read files/);
    assert.throws(() => parseTemplate(enginesFor().text, '{% if %}', 'subject'), /not valid Liquid/);
    const toText = await htmlToText();
    assert.equal(toText, await htmlToText());
    assert.equal(toText('<h1>Order 7</h1><p>Thanks</p>'), 'Order 7\n\nThanks');
  });
});
