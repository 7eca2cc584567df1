import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consentDiff } from './consent-diff.js';

describe('the difference between two consent texts', () => {
  it('names the removed and the added words and keeps the rest', () => {
    const parts = consentDiff('Send me the monthly newsletter.', 'Send me the weekly newsletter and offers.');
    assert.deepEqual(
      parts.filter((p) => p.kind !== 'same').map((p) => [p.kind, p.text.trim()]),
      [
        ['removed', 'monthly'],
        ['added', 'weekly'],
        ['added', 'and offers'],
      ],
    );
    assert.equal(
      parts
        .filter((p) => p.kind !== 'added')
        .map((p) => p.text)
        .join(''),
      'Send me the monthly newsletter.',
      'the old text is the kept and removed parts',
    );
    assert.equal(
      parts
        .filter((p) => p.kind !== 'removed')
        .map((p) => p.text)
        .join(''),
      'Send me the weekly newsletter and offers.',
      'the new text is the kept and added parts',
    );
  });
});
