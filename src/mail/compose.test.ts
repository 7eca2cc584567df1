import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeMessage } from './compose.js';

describe('composeMessage', () => {
  it('ends every line in CRLF even when the templates use LF', async () => {
    const raw = (
      await composeMessage({
        from: { name: 'Shop', address: 'news@shop.test' },
        to: 'ann@example.test',
        subject: 'Hi',
        text: 'line one\nline two\n',
        html: '<p>one</p>\n<p>two</p>\n',
        messageId: '<1@shop.test>',
      })
    ).toString('binary');
    assert.equal(/[^\r]\n/.test(raw), false, 'no bare LF');
    assert.match(raw, /Message-ID: <1@shop\.test>\r\n/);
  });
});
