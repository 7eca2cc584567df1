import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkOf } from './client-network.js';

describe('networkOf', () => {
  it('groups IPv4 clients by /24, mapped addresses included', () => {
    assert.equal(networkOf('192.0.2.77'), '192.0.2.0/24');
    assert.equal(networkOf('::ffff:192.0.2.5'), '192.0.2.0/24');
    assert.notEqual(networkOf('192.0.3.1'), networkOf('192.0.2.1'));
  });
  it('groups IPv6 clients by /64, however the address is written', () => {
    assert.equal(networkOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(networkOf('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.equal(networkOf('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
    assert.equal(networkOf('::1'), '0:0:0:0::/64');
  });
});
