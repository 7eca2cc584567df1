/**
 * Whether an open or a click was made by a machine rather than the reader (pure). Machines are
 * kept apart from the rates:
 * - Apple Mail Privacy Protection loads every image of every message on Apple's proxies (addresses
 *   in 17.0.0.0/8, a bare "Mozilla/5.0" user agent), whether or not anybody reads it;
 * - security scanners (Microsoft Safe Links, Proofpoint, Mimecast, Barracuda, …) fetch every link
 *   of a message as it arrives, often with HEAD or a tool's user agent;
 * - anything within a few seconds of delivery is faster than a person opens mail.
 */

const SCANNER_AGENTS =
  /bot\b|crawler|spider|scanner|python|curl|wget|go-http|java\/|libwww|okhttp|axios|node-fetch|headless|barracuda|proofpoint|mimecast|symantec|forcepoint|trendmicro|urldefense|safelinks|msoffice|microsoft office|ms-office|skypeuripreview|slackbot|facebookexternalhit|preview/i;
const APPLE_NETWORK = /^(?:::ffff:)?17\./;
const TOO_SOON_MS = 3_000;

export interface Fetch {
  method: string;
  userAgent: string | undefined;
  ip: string | undefined;
  /** Milliseconds since the message was handed to the receiving server (undefined: unknown). */
  sinceSentMs: number | undefined;
}

/** Undefined for a person; otherwise the reason a machine is taken to have made it. */
export function machineReason(fetch: Fetch): string | undefined {
  const agent = fetch.userAgent?.trim() ?? '';
  if (fetch.method === 'HEAD') return 'a HEAD request (a link scanner)';
  if (agent === '') return 'no user agent';
  if (fetch.ip !== undefined && APPLE_NETWORK.test(fetch.ip)) return 'Apple Mail Privacy Protection (Apple network)';
  if (agent === 'Mozilla/5.0') return 'Apple Mail Privacy Protection (proxy user agent)';
  if (SCANNER_AGENTS.test(agent)) return 'a security scanner or preview';
  if (fetch.sinceSentMs !== undefined && fetch.sinceSentMs >= 0 && fetch.sinceSentMs < TOO_SOON_MS)
    return 'within seconds of delivery';
  return undefined;
}
