import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { composeMessage } from '../../src/mail/compose.js';
import { dkimSign, loadDkimKey } from '../../src/mail/dkim.js';
import { createDkimSigner } from '../../src/mail/dkim-pool.js';
import { listUnsubscribeHeaders } from '../../src/unsubscribe/links.js';
import { dnsmasqSkip, startDnsmasq, txtRecord, type DnsServer } from '../helpers/dnsmasq.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
// RFC 8463: the Ed25519 record carries the raw 32-byte key, the tail of the SPKI form.
const edPublic = ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');

describe('DKIM signatures verified by mailauth against keys served by real DNS', { skip: dnsmasqSkip }, () => {
  let dns: DnsServer;
  let resolver: (name: string, type: string) => Promise<unknown>;

  before(async () => {
    dns = await startDnsmasq([
      txtRecord('s2048._domainkey.shop.test', `v=DKIM1; k=rsa; p=${rsaPublic}`),
      txtRecord('ed1._domainkey.shop.test', `v=DKIM1; k=ed25519; p=${edPublic}`),
    ]);
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([dns.address]);
    resolver = (name, type) => r.resolve(name, type as 'TXT');
  });
  after(() => dns.stop());

  async function message(): Promise<Buffer> {
    return composeMessage({
      from: { name: 'Shop News', address: 'news@shop.test' },
      to: 'ann@example.test',
      subject: 'Winter sale — 20% off für Ann',
      text: 'Hello Ann,\r\n\r\nwinter   sale.  \r\n\r\n\r\n',
      html: '<p>Hello Ann</p>',
      messageId: '<0190-test@shop.test>',
      headers: listUnsubscribeHeaders('https://mail.shop.test', 'A'.repeat(43), 'shop.test'),
    });
  }

  it('RSA-2048 and Ed25519 both pass, and the List-* headers are signed', async () => {
    const keys = [
      loadDkimKey('shop.test', 's2048', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      loadDkimKey('shop.test', 'ed1', ed.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    ];
    const signed = dkimSign(await message(), keys);
    const result = await dkimVerify(signed, { resolver });
    assert.equal(result.results.length, 2);
    for (const r of result.results) {
      assert.equal(r.status.result, 'pass', JSON.stringify(r.status));
      assert.equal(r.signingDomain, 'shop.test');
      const signedNames = r.signingHeaders.keys.split(':').map((k) => k.trim().toLowerCase());
      for (const h of ['from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']) {
        assert.ok(signedNames.includes(h), `${h} not in h= (${r.signingHeaders.keys})`);
      }
    }
    assert.deepEqual(
      result.results.map((r) => r.status.aligned),
      ['shop.test', 'shop.test'],
    );
  });

  it('fails when a signed header or the body is changed', async () => {
    const key = loadDkimKey('shop.test', 's2048', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signed = dkimSign(await message(), [key]).toString('binary');
    assert.equal((await dkimVerify(Buffer.from(signed, 'binary'), { resolver })).results[0]!.status.result, 'pass');
    const changedHeader = signed.replace('List-Unsubscribe=One-Click', 'List-Unsubscribe=Two-Click');
    assert.notEqual(changedHeader, signed);
    const headerCheck = (await dkimVerify(Buffer.from(changedHeader, 'binary'), { resolver })).results[0]!;
    assert.equal(headerCheck.status.result, 'fail', JSON.stringify(headerCheck.status));
    const changedBody = signed + 'one more line\r\n';
    const bodyCheck = (await dkimVerify(Buffer.from(changedBody, 'binary'), { resolver })).results[0]!;
    // mailauth reports a body-hash mismatch as neutral with this comment (RFC 6376 6.3 leaves it to the verifier).
    assert.notEqual(bodyCheck.status.result, 'pass');
    assert.match(String(bodyCheck.status.comment), /body hash did not verify/);
  });

  it('the signing threads sign many messages at once, each with its own signature, both keys', async () => {
    const keys = [
      { id: 1, ...loadDkimKey('shop.test', 's2048', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })) },
      { id: 2, ...loadDkimKey('shop.test', 'ed1', ed.privateKey.export({ type: 'pkcs8', format: 'pem' })) },
    ];
    const signer = createDkimSigner(2);
    try {
      const base = (await message()).toString('binary');
      const messages = Array.from({ length: 40 }, (_, i) =>
        Buffer.from(base.replace('Hello Ann,', `Hello Ann ${i},`), 'binary'),
      );
      const signed = await Promise.all(messages.map((m) => signer.sign(m, keys)));
      for (const [i, out] of signed.entries()) {
        assert.ok(
          out.subarray(out.length - messages[i]!.length).equals(messages[i]!),
          'the message follows its signatures unchanged',
        );
        const result = await dkimVerify(out, { resolver });
        assert.deepEqual(
          result.results.map((r) => r.status.result),
          ['pass', 'pass'],
          `message ${i}`,
        );
      }
      // A signature belongs to its message: moved onto another one, it fails.
      const swapped = Buffer.concat([signed[0]!.subarray(0, signed[0]!.length - messages[0]!.length), messages[1]!]);
      assert.notEqual((await dkimVerify(swapped, { resolver })).results[0]?.status.result, 'pass');
    } finally {
      await signer.close();
    }
  });
});
