import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutLinkTokens } from './link-tokens.js';

describe('withoutLinkTokens', () => {
  const token = 'AQEAAAAAAAEAAAABaXy3gQ7mZ0ryuzPq4CgHZKwOgKrW';
  it('drops the token of our link pages and keeps everything else', () => {
    assert.equal(token.length, 44);
    const t43 = token.slice(0, 43);
    assert.equal(withoutLinkTokens(`https://news.shop.example/c/${t43}`), 'https://news.shop.example/c/[link]');
    assert.equal(withoutLinkTokens(`http://127.0.0.1:8080/u/${t43}?x=1`), 'http://127.0.0.1:8080/u/[link]?x=1');
    assert.equal(withoutLinkTokens(`/p/${t43}/more`), '/p/[link]/more');
  });
  it('finds tokens behind percent-encoding', () => {
    const t43 = token.slice(0, 43);
    assert.equal(withoutLinkTokens(`http://h/%75/${t43}`), 'http://h/u/[link]');
    const encoded = [...t43].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    assert.equal(withoutLinkTokens(`http://h/c/${encoded}`), 'http://h/c/[link]');
  });
  it('leaves shop pages and other lengths alone', () => {
    assert.equal(withoutLinkTokens('https://shop.example/c/shoes'), 'https://shop.example/c/shoes');
    assert.equal(withoutLinkTokens(`https://shop.example/c/${token}`), `https://shop.example/c/${token}`);
  });
});
