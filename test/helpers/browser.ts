import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Where tests leave their screenshots, to be looked at by a person (not committed). */
export const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

/** The widths every page is checked at: a desktop and a phone. */
export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 375, height: 740 },
] as const;

/** Both colour schemes: the pages follow the reader's light or dark setting. */
export const SCHEMES = ['light', 'dark'] as const;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the HTML of a page in a JavaScript-enabled
 * context of its own (the page under test may have JavaScript off), at each width in light and dark, saves a
 * screenshot of each, and returns the serious and critical violations.
 */
export async function checkPage(
  browser: Browser,
  html: string,
  baseUrl: string,
  name: string,
): Promise<AxeViolation[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const found: AxeViolation[] = [];
  // One page for the four looks: the viewport and the colour scheme change in place (axe reads
  // the live layout and computed colours), so the page loads and axe is injected once.
  const context = await browser.newContext({ viewport: { width: WIDTHS[0].width, height: WIDTHS[0].height } });
  const page: Page = await context.newPage();
  // Same origin as the server, so the page's own stylesheet and images load.
  await page.route(`${baseUrl}/__axe__`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(`${baseUrl}/__axe__`);
  await page.addScriptTag({ content: AXE_SOURCE });
  for (const size of WIDTHS.flatMap((w) => SCHEMES.map((scheme) => ({ ...w, scheme, name: `${w.name}-${scheme}` })))) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.emulateMedia({ colorScheme: size.scheme });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size.name}.png`), fullPage: true });
    const result = (await page.evaluate(
      "axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })",
    )) as { violations: unknown[] };
    for (const v of result.violations as Array<{
      id: string;
      impact: string | null;
      help: string;
      nodes: Array<{ target: string[] }>;
    }>) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        found.push({
          id: `${v.id} (${size.name})`,
          impact: v.impact,
          help: v.help,
          targets: v.nodes.map((n) => n.target.join(' ')),
        });
      }
    }
    // A page must not scroll sideways on a phone.
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    if (overflow > 1)
      found.push({
        id: `horizontal-scroll (${size.name})`,
        impact: 'serious',
        help: `${overflow}px wider than the screen`,
        targets: [],
      });
  }
  await context.close();
  return found;
}
