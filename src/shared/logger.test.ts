import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, redactUrl } from './logger.js';

describe('logger', () => {
  it('hides tokens in public paths and query strings', () => {
    assert.equal(redactUrl('/c/AbCdEf_123-xyz'), '/c/[token]');
    assert.equal(redactUrl('/u/AbC/resend?x=1'), '/u/[token]/resend?x=1');
    assert.equal(redactUrl('/s/news?token=abc&y=2'), '/s/news?token=[redacted]&y=2');
    assert.equal(redactUrl('/s/news'), '/s/news');
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
