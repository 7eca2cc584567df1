import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Liquid } from 'liquidjs';
import { compileFast, renderFast } from './fast-template.js';

const scope = {
  subscriber: { name: 'Ann <"O\'Brien"> & co', city: 'Delft', n: 3, missing: null },
  unsubscribe_url: 'https://m.test/u/T',
};
const html = new Liquid({ outputEscape: 'escape', ownPropertyOnly: true });
const text = new Liquid({ ownPropertyOnly: true });

describe('fast templates', () => {
  it('render exactly as liquidjs does, escaped and unescaped', () => {
    for (const source of [
      '<h1>Hi {{ subscriber.name }}</h1><p>{{subscriber.city}} {{ subscriber.n }} {{ subscriber.missing }}{{ nothing.here }}</p><a href="{{ unsubscribe_url }}">x</a>',
      'plain text without outputs',
      '{{ subscriber.name }}',
    ]) {
      const fast = compileFast(source);
      assert.ok(fast, source);
      assert.equal(renderFast(fast, scope, true), html.parseAndRenderSync(source, scope));
      assert.equal(renderFast(fast, scope, false), text.parseAndRenderSync(source, scope));
    }
  });

  it('leave tags, filters and whitespace control to liquidjs', () => {
    for (const source of [
      '{% if x %}y{% endif %}',
      '{{ subscriber.name | upcase }}',
      '{{- subscriber.name -}}',
      '{{ "literal" }}',
      '{{ a[0] }}',
    ]) {
      assert.equal(compileFast(source), undefined, source);
    }
  });
});
