import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, redactUrl } from './logger.js';

describe('logger', () => {
  it('hides tokens in public paths and query strings', () => {
    assert.equal(redactUrl('/c/AbCdEf_123-xyz'), '/c/[token]');
    assert.equal(redactUrl('/u/AbC/resend?x=1'), '/u/[token]/resend?x=[redacted]');
    assert.equal(redactUrl('/s/news?token=abc&y=2'), '/s/news?token=[redacted]&y=[redacted]');
    assert.equal(redactUrl('/s/news'), '/s/news');
    assert.equal(redactUrl('/d/AQQAAAAAAAEAAAAAawzwxm0Egcb7m4XUfnAxfAnHTgQ'), '/d/[token]');
    // Tracked links and the pixel, also with something appended to the token.
    assert.equal(redactUrl('/t/c/AQUAAAAAAAEAAAABaw41fbCSSHsBFHznISxWbT6uqE4;x'), '/t/c/[token]');
    assert.equal(redactUrl('/t/o/AQYAAAAAAAEAAAAAaw41fbCSSHsBFHznISxWbT6uqE4.x'), '/t/o/[token]');
    assert.equal(redactUrl('/t/c/short'), '/t/c/[token]');
    assert.equal(redactUrl('/x/AQUAAAAAAAEAAAABaw41fbCSSHsBFHznISxWbT6uqE4='), '/x/[token]');
    assert.equal(redactUrl('/%75/AQQAAAAAAAEAAAAAawzwxm0Egcb7m4XUfnAxfAnHTgQ'), '/u/[token]');
    assert.equal(redactUrl('/api/v1/lists/lw_abcdefabcdef'), '/api/v1/lists/[redacted]');
    assert.equal(redactUrl('/api/v1/subscribers/ann%40example.test/export'), '/api/v1/subscribers/[address]/export');
    assert.equal(redactUrl('/api/v1/lists?q=lw_key&k'), '/api/v1/lists?q=[redacted]&k');
  });

  it('never writes secrets, keys or authorization headers', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger('info', sink);
    logger.info(
      {
        secret: 's3cr3t-value',
        key: 'lw_abcdef',
        req: { method: 'GET', url: '/c/TOKENVALUE', headers: { authorization: 'Bearer lw_x' } },
      },
      'hello',
    );
    const text = lines.join('');
    assert.doesNotMatch(text, /s3cr3t-value|lw_abcdef|TOKENVALUE|Bearer/);
    assert.match(text, /"msg":"hello"/);
  });
});
