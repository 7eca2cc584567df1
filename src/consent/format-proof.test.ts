import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProof } from './format-proof.js';

describe('formatProof', () => {
  it('prints who, when, from where, the wording shown and the confirmation', () => {
    const text = formatProof({
      email: 'jane@example.com',
      list: { slug: 'news', name: 'Shop News', from: 'Shop <news@shop.example>' },
      status: 'confirmed',
      subscribedAt: '2026-11-27T09:00:00.000Z',
      confirmedAt: '2026-11-27T09:05:00.000Z',
      generatedAt: '2026-11-28T00:00:00.000Z',
      events: [
        {
          type: 'signup',
          at: '2026-11-27T09:00:00.000Z',
          list: 'news',
          ip: '203.0.113.7',
          userAgent: 'Firefox/140',
          source: 'https://shop.example/newsletter',
          consentVersion: 2,
          consentLanguage: 'de',
          consentText: 'Yes, send me offers.',
          detail: { channel: 'form' },
        },
        {
          type: 'confirmed',
          at: '2026-11-27T09:05:00.000Z',
          list: 'news',
          ip: '203.0.113.8',
          userAgent: 'Safari/18',
          source: null,
          consentVersion: null,
          consentLanguage: null,
          consentText: null,
          detail: {},
        },
      ],
    });
    assert.match(text, /Address: +jane@example\.com/);
    assert.match(text, /Confirmed: +2026-11-27T09:05:00\.000Z/);
    assert.match(
      text,
      /Signed up\n +from IP: +203\.0\.113\.7\n +browser: +Firefox\/140\n +source: +https:\/\/shop\.example\/newsletter/,
    );
    assert.match(text, /wording shown \(version 2, language de\):\n +"Yes, send me offers\."/);
    assert.match(text, /2026-11-27T09:05:00\.000Z {2}Confirmed\n +from IP: +203\.0\.113\.8/);
  });
});

describe('the proof on a terminal', () => {
  it('prints no control characters from outside text (a forged diagnostic, a user agent)', () => {
    const text = formatProof({
      email: 'jane@example.com',
      list: { slug: 'news', name: 'News', from: 'news@shop.test' },
      status: 'bounced',
      subscribedAt: null,
      confirmedAt: null,
      generatedAt: '2026-11-30T00:00:00.000Z',
      events: [
        {
          type: 'bounce',
          at: '2026-11-30T00:00:00.000Z',
          list: 'news',
          ip: null,
          userAgent: 'evil\u001b]0;owned\u0007agent',
          source: 'feedback:smtp',
          consentVersion: null,
          consentLanguage: null,
          consentText: null,
          detail: { diagnostic: '550 \u001b[2J\u001b[31mgone\u009b' },
        },
      ],
    });
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    assert.match(text, /550 +\[2J +\[31mgone/);
  });
});
