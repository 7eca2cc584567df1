import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskCredentials } from './mask-credentials.js';

describe('masking credentials in URLs shown to people', () => {
  it('hides the password of any URL in a text and leaves the rest', () => {
    assert.equal(
      maskCredentials(
        'rspamd at http://admin:S3cret@127.0.0.1:11333 cannot be reached; imaps://me:pw@mail.test/INBOX too',
      ),
      'rspamd at http://admin:***@127.0.0.1:11333 cannot be reached; imaps://me:***@mail.test/INBOX too',
    );
    assert.equal(
      maskCredentials('http://127.0.0.1:11333/checkv2 and a@b.test'),
      'http://127.0.0.1:11333/checkv2 and a@b.test',
    );
  });
});
