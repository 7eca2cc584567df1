import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHeader, parseRow } from './csv-rows.js';

const now = Date.UTC(2026, 10, 27);

describe('CSV import rows', () => {
  it('maps email, name and extra columns as attributes', () => {
    const columns = parseHeader(['\uFEFFEmail', 'Name', 'city', 'plan'], false);
    const r = parseRow(['Ann@Example.com', ' Ann ', 'Delft', ''], 2, columns, now);
    assert.ok(r.ok);
    assert.deepEqual(r.row, {
      line: 2,
      email: 'Ann@example.com',
      key: 'ann@example.com',
      name: 'Ann',
      attributes: '{"city":"Delft"}',
      confirmedAt: null,
      confirmIp: null,
    });
  });

  it('requires an email column and proof columns with --with-proof', () => {
    assert.throws(() => parseHeader(['name'], false), /line 1: .*"email" column/);
    assert.throws(() => parseHeader(['email', 'confirmed_at'], true), /confirm_ip/);
    assert.throws(() => parseHeader(['email', 'email'], false), /appears twice/);
    assert.throws(() => parseHeader(['email', 'bad name!'], false), /not a valid attribute name/);
  });

  it('explains each bad row', () => {
    const columns = parseHeader(['email', 'name'], false);
    const reason = (record: string[]) => {
      const r = parseRow(record, 5, columns, now);
      assert.ok(!r.ok);
      return r.reason;
    };
    assert.match(reason(['nobody']), /expected 2 columns, found 1/);
    assert.match(reason(['not-an-address', 'x']), /needs an @/);
    assert.match(reason(['a@example.com', 'x'.repeat(201)]), /name is longer/);
  });

  it('validates the proof of an imported confirmation', () => {
    const columns = parseHeader(['email', 'confirmed_at', 'confirm_ip'], true);
    const good = parseRow(['a@example.com', '2024-03-01T10:00:00Z', '2001:db8::5'], 2, columns, now);
    assert.ok(good.ok);
    assert.equal(good.row.confirmedAt, Date.UTC(2024, 2, 1, 10));
    assert.equal(good.row.confirmIp, '2001:db8::5');
    const badDate = parseRow(['a@example.com', 'yesterday', '192.0.2.1'], 3, columns, now);
    assert.ok(!badDate.ok && /not an ISO 8601 date/.test(badDate.reason));
    const future = parseRow(['a@example.com', '2030-01-01', '192.0.2.1'], 3, columns, now);
    assert.ok(!future.ok && /plausible/.test(future.reason));
    const badIp = parseRow(['a@example.com', '2024-03-01', '999.1.1.1'], 4, columns, now);
    assert.ok(!badIp.ok && /not an IP address/.test(badIp.reason));
  });
});
