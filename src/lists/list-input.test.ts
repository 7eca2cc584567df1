import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMailbox } from './list-input.js';

describe('From and Reply-To addresses round-trip', () => {
  it('keeps one mailbox with or without a display name', () => {
    assert.deepEqual(parseMailbox('Shop News <news@shop.example>', 'From'), {
      name: 'Shop News',
      address: 'news@shop.example',
    });
    assert.deepEqual(parseMailbox('"Shop, News" <news@shop.example>', 'From'), {
      name: 'Shop, News',
      address: 'news@shop.example',
    });
    assert.deepEqual(parseMailbox('news@shop.example', 'From'), { name: null, address: 'news@shop.example' });
  });

  it('refuses what parses as more than one address, a group, or an address with text after it', () => {
    for (const input of [
      'Support <help@shop.example> Bcc: v@evil.example',
      'a@shop.example, v@evil.example',
      'Friends: a@shop.example, v@evil.example;',
      'Shop <news@shop.example> extra words',
    ]) {
      assert.throws(() => parseMailbox(input, 'The Reply-To address'), {
        message:
          'The Reply-To address must be exactly one address like "Shop News <news@shop.example>": not a list, a group or an address with more text after it.',
      });
    }
  });
});
