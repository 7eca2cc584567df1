import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { peerSkip } from './peers.js';

const CHROMIUM = process.env.LISTWARDEN_TEST_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumSkip = peerSkip('Chromium', existsSync(CHROMIUM), 'install the Debian package chromium');

/** Headless Debian Chromium with the flags this closed network needs (playwright gives it a fresh profile). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
