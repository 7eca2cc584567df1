import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allows, isRole } from './roles.js';

describe('console roles', () => {
  it('viewer reads, editor also edits and sends, owner also manages', () => {
    assert.equal(allows('viewer', 'viewer'), true);
    assert.equal(allows('viewer', 'editor'), false);
    assert.equal(allows('editor', 'editor'), true);
    assert.equal(allows('editor', 'owner'), false);
    assert.equal(allows('owner', 'editor'), true);
    assert.equal(isRole('owner'), true);
    assert.equal(isRole('admin'), false);
    assert.equal(isRole('__proto__'), false);
  });
});
