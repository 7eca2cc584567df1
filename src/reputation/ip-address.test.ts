import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsblName, ipv4Range, ipv6Nibbles, isPublicResolver } from './ip-address.js';
import { readAnswer, queryZone, zoneInfo } from './zones.js';

describe('DNSBL names and ranges', () => {
  it('reverses IPv4 octets and IPv6 nibbles (RFC 5782 §2.1, §2.4)', () => {
    assert.equal(dnsblName('192.0.2.99', 'zen.spamhaus.org'), '99.2.0.192.zen.spamhaus.org');
    assert.equal(ipv6Nibbles('2001:db8:1:2:3:4:567:89ab'), '20010db80001000200030004056789ab');
    assert.equal(
      dnsblName('2001:db8:1:2:3:4:567:89ab', 'bl.test'),
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test',
    );
    assert.equal(ipv6Nibbles('::ffff:127.0.0.2'), '00000000000000000000ffff7f000002');
    assert.equal(ipv6Nibbles('2001:db8::25'), '20010db8000000000000000000000025');
  });

  it('lists the addresses of a neighbourhood', () => {
    const range = ipv4Range('192.0.2.77', 24);
    assert.equal(range.length, 256);
    assert.equal(range[0], '192.0.2.0');
    assert.equal(range[255], '192.0.2.255');
    assert.deepEqual(ipv4Range('192.0.2.77', 30), ['192.0.2.76', '192.0.2.77', '192.0.2.78', '192.0.2.79']);
    assert.throws(() => ipv4Range('192.0.2.77', 8), /from \/16 to \/32/);
  });

  it('knows the public resolvers DNSBLs refuse', () => {
    assert.ok(isPublicResolver('8.8.8.8'));
    assert.ok(isPublicResolver('1.1.1.1:53'));
    assert.ok(isPublicResolver('[2606:4700:4700::1111]:53'));
    assert.ok(!isPublicResolver('127.0.0.1:5353'));
  });
});

describe('reading DNSBL answers', () => {
  const zen = zoneInfo('zen.spamhaus.org');
  it('names what a listing means', () => {
    const verdict = readAnswer(zen, ['127.0.0.4', '127.0.0.2']);
    assert.equal(verdict.status, 'listed');
    assert.deepEqual(verdict.status === 'listed' && verdict.codes, ['127.0.0.2', '127.0.0.4']);
    assert.match(verdict.status === 'listed' ? verdict.meanings.join() : '', /SBL.*XBL|XBL.*SBL/);
  });

  it('never reads a refused query as a listing', () => {
    for (const answer of ['127.255.255.254', '127.255.255.252', '127.255.255.255', '127.0.1.255']) {
      const verdict = readAnswer(zen, [answer]);
      assert.equal(verdict.status, 'error', answer);
      assert.match(verdict.status === 'error' ? verdict.reason : '', /refused/);
    }
    assert.equal(readAnswer(zen, ['10.0.0.1']).status, 'error', 'an answer outside 127/8 is a broken zone');
  });

  it('reads zones outside the catalogue generically', () => {
    const own = zoneInfo('bl.shop.example');
    assert.equal(own.kind, 'ip');
    const verdict = readAnswer(own, ['127.0.0.42']);
    assert.equal(verdict.status, 'listed');
    assert.equal(readAnswer(own, []).status, 'clean');
  });

  it('sends Spamhaus queries through a DQS key when one is set', () => {
    assert.equal(queryZone(zen, 'abcdefghij1234'), 'abcdefghij1234.zen.dq.spamhaus.net');
    assert.equal(queryZone(zen, undefined), 'zen.spamhaus.org');
    assert.equal(queryZone(zoneInfo('bl.spamcop.net'), 'abcdefghij1234'), 'bl.spamcop.net');
  });
});

describe('public resolver warning', () => {
  it('names a configured public resolver and stays quiet for a local one', async () => {
    const { publicResolverWarning } = await import('./resolvers.js');
    assert.match(publicResolverWarning(['8.8.8.8']) ?? '', /8\.8\.8\.8 is a public resolver/);
    assert.equal(publicResolverWarning(['127.0.0.1:53']), undefined);
  });
});
