/**
 * Suggests a correction for a mistyped mailbox-provider domain (gmial.com → gmail.com),
 * the way mailcheck does: a small table of popular domains and an edit distance.
 */
const POPULAR_DOMAINS: readonly string[] = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'yahoo.fr',
  'yahoo.de',
  'ymail.com',
  'hotmail.com',
  'hotmail.co.uk',
  'hotmail.fr',
  'hotmail.de',
  'hotmail.nl',
  'outlook.com',
  'outlook.de',
  'live.com',
  'live.nl',
  'live.co.uk',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'protonmail.com',
  'proton.me',
  'gmx.de',
  'gmx.net',
  'gmx.com',
  'web.de',
  't-online.de',
  'freenet.de',
  'orange.fr',
  'free.fr',
  'sfr.fr',
  'laposte.net',
  'wanadoo.fr',
  'libero.it',
  'virgilio.it',
  'btinternet.com',
  'sky.com',
  'comcast.net',
  'verizon.net',
  'att.net',
  'sbcglobal.net',
  'ziggo.nl',
  'kpnmail.nl',
  'telenet.be',
  'skynet.be',
  'bluewin.ch',
  'mail.ru',
  'yandex.ru',
  'qq.com',
  '163.com',
  'zoho.com',
  'fastmail.com',
  'hey.com',
  'seznam.cz',
  'wp.pl',
  'o2.pl',
  'onet.pl',
];

const POPULAR = new Set(POPULAR_DOMAINS);

const TLD_FIXES: Readonly<Record<string, string>> = {
  con: 'com',
  cmo: 'com',
  ocm: 'com',
  vom: 'com',
  xom: 'com',
  comm: 'com',
  coom: 'com',
  om: 'com',
  cm: 'com',
  cpm: 'com',
  ccom: 'com',
  nte: 'net',
  ner: 'net',
  nett: 'net',
  ogr: 'org',
  orgg: 'org',
};

/** Returns the corrected address, or undefined when the domain looks right or is unknown. */
export function suggestDomainFix(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at < 1) return undefined;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (POPULAR.has(domain)) return undefined;
  const fixed = fixTld(domain);
  if (fixed !== domain && POPULAR.has(fixed)) return `${local}@${fixed}`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of POPULAR_DOMAINS) {
    const limit = candidate.length >= 9 ? 2 : 1;
    const distance = editDistance(fixed, candidate, limit);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best) return `${local}@${best}`;
  return fixed !== domain ? `${local}@${fixed}` : undefined;
}

function fixTld(domain: string): string {
  const dot = domain.lastIndexOf('.');
  if (dot < 0) return domain;
  const tld = TLD_FIXES[domain.slice(dot + 1)];
  return tld ? `${domain.slice(0, dot)}.${tld}` : domain;
}

/** Optimal-string-alignment distance (adjacent swaps count once), giving up above `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row[j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (rows[i - 1] as number[])[j]! + 1,
        row[j - 1]! + 1,
        (rows[i - 1] as number[])[j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (rows[i - 2] as number[])[j - 2]! + 1);
      }
      row[j] = value;
      rowMin = Math.min(rowMin, value);
    }
    if (i > 0 && rowMin > limit) return limit + 1;
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
