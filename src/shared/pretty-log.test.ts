import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prettyLine } from './pretty-log.js';

describe('prettyLine', () => {
  it('prints time, level, message and fields, requests as method, path and status', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 30,
        time: '2026-11-30T04:50:01.123Z',
        service: 'listwarden',
        msg: 'request completed',
        req: { method: 'GET', url: '/u/[token]' },
        res: { statusCode: 200 },
        responseTime: 1.5,
      }),
    );
    assert.equal(line, '04:50:01 info  request completed  GET /u/[token]  200  responseTime=1.5');
    assert.match(prettyLine(JSON.stringify({ level: 40, time: 'x', msg: 'careful' })), /WARN {2}careful/);
  });
  it('keeps control characters of outside text off the terminal', () => {
    assert.doesNotMatch(prettyLine(JSON.stringify({ level: 30, msg: 'a\u001b[2Jb' })), /\u001b/);
  });
});
