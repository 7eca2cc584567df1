import { connect } from 'node:net';

/** A spam score for a rendered message, from SpamAssassin's spamd or rspamd. */
export interface SpamScore {
  scorer: 'spamd' | 'rspamd';
  score: number;
  threshold: number;
  symbols: string[];
}

/**
 * SpamAssassin's spamd over the spamc protocol (SPAMC/1.5 SYMBOLS): one TCP exchange, the
 * score, the threshold and the rules that fired.
 */
export function scoreWithSpamd(address: string, raw: Buffer, timeoutMs = 30_000): Promise<SpamScore> {
  const [host, port] = address.startsWith('[')
    ? [address.slice(1, address.indexOf(']')), address.slice(address.indexOf(']') + 2)]
    : (address.split(':') as [string, string?]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port ?? 783) });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`spamd at ${address} did not answer within ${timeoutMs} ms`)),
    );
    socket.on('connect', () => {
      socket.write(`SYMBOLS SPAMC/1.5\r\nContent-length: ${raw.byteLength}\r\nUser: listwarden\r\n\r\n`);
      socket.end(raw);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => reject(new Error(`spamd at ${address}: ${error.message}`)));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^SPAMD\/[\d.]+ (\d+) (\S+)/.exec(text);
      if (!status || status[1] !== '0')
        return reject(new Error(`spamd at ${address} answered: ${text.split('\r\n')[0] || 'nothing'}`));
      const spam = /^Spam: \w+ ; (-?[\d.]+) \/ (-?[\d.]+)/m.exec(text);
      if (!spam) return reject(new Error(`spamd at ${address} sent no score`));
      const body = text.slice(text.indexOf('\r\n\r\n') + 4).trim();
      resolve({
        scorer: 'spamd',
        score: Number(spam[1]),
        threshold: Number(spam[2]),
        symbols: body
          ? body
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [],
      });
    });
  });
}

/** rspamd's HTTP API (`POST /checkv2`): `score`, `required_score` and the symbols that fired. */
export async function scoreWithRspamd(url: string, raw: Buffer, timeoutMs = 30_000): Promise<SpamScore> {
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/+$/, '')}/checkv2`, {
      method: 'POST',
      body: raw,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (refused, timed out) is its cause.
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new Error(`rspamd at ${url} cannot be reached: ${reason}`);
  }
  if (!response.ok) throw new Error(`rspamd at ${url} answered ${response.status}`);
  const result = (await response.json()) as {
    score?: number;
    required_score?: number;
    symbols?: Record<string, unknown>;
  };
  if (typeof result.score !== 'number') throw new Error(`rspamd at ${url} sent no score`);
  return {
    scorer: 'rspamd',
    score: result.score,
    threshold: result.required_score ?? 15,
    symbols: Object.keys(result.symbols ?? {}),
  };
}
