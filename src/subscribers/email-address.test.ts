import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailboxKey, normaliseEmail } from './email-address.js';

function ok(input: string) {
  const r = normaliseEmail(input);
  assert.ok(r.ok, `expected ${JSON.stringify(input)} to be valid: ${!r.ok ? r.reason : ''}`);
  return r.address;
}
function bad(input: unknown): string {
  const r = normaliseEmail(input);
  assert.ok(!r.ok, `expected ${JSON.stringify(input)} to be rejected`);
  return r.reason;
}

describe('normaliseEmail', () => {
  it('trims and lower-cases the domain, keeping the local part', () => {
    const a = ok('  Jane.Doe+News@Example.COM  ');
    assert.equal(a.email, 'Jane.Doe+News@example.com');
    assert.equal(a.key, 'jane.doe+news@example.com');
    assert.equal(a.domain, 'example.com');
  });

  it('converts an international domain to punycode', () => {
    assert.equal(ok('anna@bücher.de').email, 'anna@xn--bcher-kva.de');
    assert.equal(ok('info@ÉXAMPLE.fr').domain, 'xn--xample-9ua.fr');
  });

  it('accepts a trailing root dot and strips it', () => {
    assert.equal(ok('a@example.com.').email, 'a@example.com');
  });

  it('rejects invalid syntax with a sentence', () => {
    assert.match(bad(''), /Enter an email/);
    assert.match(bad(undefined), /Enter an email/);
    assert.match(bad('no-at-sign'), /needs an @/);
    assert.match(bad('@example.com'), /before the @ is missing/);
    assert.match(bad('a@'), /domain after the @ is missing/);
    assert.match(bad('a@b@example.com'), /only one @/);
    assert.match(bad('a..b@example.com'), /wrong place/);
    assert.match(bad('.a@example.com'), /wrong place/);
    assert.match(bad('a b@example.com'), /spaces/);
    assert.match(bad('"quoted"@example.com'), /quotes/);
    assert.match(bad('a@localhost'), /needs a dot/);
    assert.match(bad('a@[127.0.0.1]'), /IP address/);
    assert.match(bad('a@1.2.3.4'), /not a number/);
    assert.match(bad('a@-example.com'), /wrong place/);
    assert.match(bad('a@exa_mple.com'), /wrong place|not a valid/);
    assert.match(bad('jörg@example.com'), /non-Latin/);
    assert.match(bad('<a@example.com>'), /brackets/);
  });

  it('rejects over-long parts', () => {
    assert.match(bad('a'.repeat(65) + '@example.com'), /longer than 64/);
    ok('a'.repeat(64) + '@example.com');
    const label = 'a'.repeat(63);
    assert.match(bad(`a@${label}.${'b'.repeat(64)}.com`), /wrong place/);
    assert.match(bad(`a@${[label, label, label, label].join('.')}.com`), /too long/);
    const longLocal = 'x'.repeat(64);
    const domain = [label, label, label, 'c'.repeat(55)].join('.') + '.com';
    assert.match(bad(`${longLocal}@${domain}`), /longer than 254|too long/);
    assert.match(bad('a'.repeat(600) + '@example.com'), /too long/);
  });
});

describe('mailboxKey', () => {
  it('folds +tags, case and Gmail dots into one inbox', () => {
    assert.equal(mailboxKey('victim+1@gmail.com'), 'victim@gmail.com');
    assert.equal(mailboxKey('V.I.C.T.I.M@googlemail.com'), 'victim@gmail.com');
    assert.equal(mailboxKey('Ann+news@Shop.example'), 'ann@shop.example');
  });
  it('keeps dots where the provider does not ignore them, and a leading +', () => {
    assert.equal(mailboxKey('a.b@example.org'), 'a.b@example.org');
    assert.equal(mailboxKey('+x@example.org'), '+x@example.org');
  });
});
