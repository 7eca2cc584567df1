import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTxRequest, MAX_ATTACHMENT_BYTES, stableJson, suppressionStops, txBody, type TxBody } from './tx-input.js';

const check = (body: unknown) => checkTxRequest(txBody.parse(body) as TxBody);

describe('transactional requests at the boundary', () => {
  it('takes a template with data, or content of its own, not both and not neither', () => {
    assert.equal(check({ to: 'a@b.test', template: 'order', data: { n: 1 } }).template, 'order');
    assert.deepEqual(check({ to: 'a@b.test', subject: 'Hi', text: 'Hello' }).content, {
      subject: 'Hi',
      html: undefined,
      text: 'Hello',
    });
    assert.throws(() => check({ to: 'a@b.test', template: 'order', subject: 'Hi' }), /not both/);
    assert.throws(() => check({ to: 'a@b.test', subject: 'Hi' }), /a template .* or a subject with html/);
    assert.throws(() => check({ to: 'a@b.test', subject: ' ', html: '<p>x</p>' }), /subject is empty/);
    assert.throws(() => txBody.parse({ to: 'a@b.test', template: 'x', bcc: 'v@evil.test' }));
  });

  it('checks attachments: base64, no programs, no paths, 5 MB together', () => {
    const one = (a: Record<string, unknown>) => check({ to: 'a@b.test', template: 't', attachments: [a] });
    assert.equal(
      one({ filename: 'invoice.pdf', contentType: 'application/pdf', content: 'JVBERi0=' }).attachments[0]?.contentType,
      'application/pdf',
    );
    assert.throws(() => one({ filename: 'setup.exe', content: 'TVo=' }), /"setup.exe" is a program/);
    assert.throws(() => one({ filename: 'invoice.exe. ', content: 'TVo=' }), /"invoice.exe" is a program/);
    assert.throws(() => one({ filename: 'disk.vhd', content: 'TVo=' }), /is a program/);
    assert.throws(
      () => one({ filename: 'a.eml', contentType: 'message/rfc822', content: 'TVo=' }),
      /could carry other files/,
    );
    assert.throws(() => one({ filename: 'x', contentType: 'multipart/mixed', content: 'TVo=' }), /could carry/);
    assert.throws(() => one({ filename: '../etc/passwd', content: 'TVo=' }), /slashes/);
    assert.throws(() => one({ filename: 'a.txt', content: 'not base64!' }), /not base64/);
    const big = 'A'.repeat(Math.ceil(((MAX_ATTACHMENT_BYTES + 4) * 4) / 3 / 4) * 4);
    assert.throws(() => one({ filename: 'big.bin', content: big }), /the limit is 5 MB/);
  });

  it('hashes the same content the same whatever the key order, without the idempotency key', () => {
    const a = check({ to: 'a@b.test', template: 't', data: { x: 1, y: [1, { b: 2, a: 1 }] }, idempotencyKey: 'k1' });
    const b = check({ idempotencyKey: 'k2', data: { y: [1, { a: 1, b: 2 }], x: 1 }, template: 't', to: 'a@b.test' });
    assert.equal(a.hash, b.hash);
    assert.notEqual(a.hash, check({ to: 'a@b.test', template: 't', data: { x: 2 } }).hash);
    assert.equal(stableJson({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  });

  it('lets essential mail through complaints and unsubscribes, never through bounces', () => {
    for (const reason of ['complaint', 'unsubscribed_all', 'erased', 'manual'])
      assert.deepEqual([suppressionStops(reason, false), suppressionStops(reason, true)], [true, false], reason);
    for (const reason of ['hard_bounce', 'soft_bounces'])
      assert.deepEqual([suppressionStops(reason, false), suppressionStops(reason, true)], [true, true], reason);
  });
});
