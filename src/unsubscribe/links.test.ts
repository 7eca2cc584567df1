import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listUnsubscribeHeaders, preferencesUrl, unsubscribeMailbox, unsubscribeUrl } from './links.js';

describe('opt-out links', () => {
  const token = 'AQEAAAAAAAEAAAABawlH8C6hxHj3LoeUsvWfFcO7dcE';

  it('builds RFC 8058 one-click headers with an https and a mailto target', () => {
    assert.deepEqual(listUnsubscribeHeaders('https://mail.shop.test', token, 'shop.test'), {
      'List-Unsubscribe': `<https://mail.shop.test/u/${token}>, <mailto:unsubscribe+${token}@shop.test?subject=unsubscribe>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it('builds the page links and the reserved mailbox', () => {
    assert.equal(unsubscribeUrl('https://m.test', token), `https://m.test/u/${token}`);
    assert.equal(preferencesUrl('https://m.test', token), `https://m.test/p/${token}`);
    assert.equal(unsubscribeMailbox('bounce.shop.test', token), `unsubscribe+${token}@bounce.shop.test`);
  });
});
