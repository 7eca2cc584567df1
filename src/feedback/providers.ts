/**
 * The mailbox provider behind a recipient domain, so refusals from gmail.com and googlemail.com
 * (or outlook.com, hotmail.com and live.com) count as one receiver refusing us. Pure.
 */
const PROVIDERS: ReadonlyArray<[string, RegExp]> = [
  ['Gmail', /^(?:gmail\.com|googlemail\.com)$/],
  ['Microsoft', /^(?:outlook|hotmail|live|msn|passport)\.[a-z.]+$/],
  ['Yahoo/AOL', /^(?:yahoo|ymail|rocketmail|aol|aim|verizon\.net$)/],
  ['iCloud', /^(?:icloud\.com|me\.com|mac\.com)$/],
  ['GMX/Web.de', /^(?:gmx\.[a-z.]+|web\.de|mail\.com)$/],
  ['Orange', /^(?:orange\.fr|wanadoo\.fr)$/],
  ['Comcast', /^comcast\.net$/],
  ['T-Online', /^t-online\.de$/],
  ['Free', /^free\.fr$/],
  ['Yandex', /^yandex\.[a-z.]+$/],
  ['Mail.ru', /^(?:mail\.ru|inbox\.ru|list\.ru|bk\.ru)$/],
];

/** The provider's name, or the domain itself when it is not a known provider. */
export function providerOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return PROVIDERS.find(([, pattern]) => pattern.test(domain))?.[0] ?? domain;
}
