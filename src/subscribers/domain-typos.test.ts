import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance, suggestDomainFix } from './domain-typos.js';

describe('suggestDomainFix', () => {
  it('fixes common provider typos', () => {
    assert.equal(suggestDomainFix('jane@gmial.com'), 'jane@gmail.com');
    assert.equal(suggestDomainFix('jane@gmai.com'), 'jane@gmail.com');
    assert.equal(suggestDomainFix('jane@hotmial.com'), 'jane@hotmail.com');
    assert.equal(suggestDomainFix('jane@yaho.com'), 'jane@yahoo.com');
    assert.equal(suggestDomainFix('jane@outlok.com'), 'jane@outlook.com');
    assert.equal(suggestDomainFix('jane@gmail.con'), 'jane@gmail.com');
    assert.equal(suggestDomainFix('jane@gmail.cmo'), 'jane@gmail.com');
    assert.equal(suggestDomainFix('Jane.Doe@icloud.co'), 'Jane.Doe@icloud.com');
  });

  it('leaves correct and unknown domains alone', () => {
    assert.equal(suggestDomainFix('jane@gmail.com'), undefined);
    assert.equal(suggestDomainFix('jane@shop-example.com'), undefined);
    assert.equal(suggestDomainFix('jane@acme.io'), undefined);
    assert.equal(suggestDomainFix('jane@gmx.de'), undefined);
  });

  it('fixes a mistyped common TLD on any domain', () => {
    assert.equal(suggestDomainFix('jane@acme.con'), 'jane@acme.com');
  });
});

describe('editDistance', () => {
  it('counts an adjacent swap as one edit', () => {
    assert.equal(editDistance('gmial', 'gmail'), 1);
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
  });
});
