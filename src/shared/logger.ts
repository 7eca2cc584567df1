import pino, { type Logger } from 'pino';

/**
 * A request URL as it may be logged: tokens of our link pages (credentials), API keys, addresses
 * and query values hidden.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  let path: string;
  try {
    // Decoded first, so `/%75/<token>` (which routes to `/u/<token>`) is hidden like `/u/<token>`.
    path = decodeURIComponent(rawPath);
  } catch {
    path = rawPath;
  }
  const segments = path.split('/');
  const hidden = segments.map((segment, i) => {
    if (/^lw_/i.test(segment)) return '[redacted]';
    if (segment.includes('@')) return '[address]';
    // Our link pages' tokens, and anything else long and token-like, never reach the log.
    if (i === 2 && /^[cupd]$/.test(segments[1] ?? '') && segment !== '') return '[token]';
    // Tracked links and the open pixel: /t/c/<token>, /t/o/<token>.
    if (i === 3 && segments[1] === 't' && /^[co]$/.test(segments[2] ?? '') && segment !== '') return '[token]';
    // A token with something appended (`<token>;x`, `<token>.gif`) is still a token.
    if (/[A-Za-z0-9_-]{20,}/.test(segment)) return '[token]';
    return segment;
  });
  // Query values can carry keys, tokens or addresses: only the parameter names are logged.
  const query =
    q < 0
      ? ''
      : `?${url
          .slice(q + 1)
          .split('&')
          .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=[redacted]` : pair))
          .join('&')}`;
  return hidden.join('/') + query;
}

/** One JSON line per event; secrets, keys and tokens are redacted before they are written. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'listwarden' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'secret',
          'key',
          'token',
          'password',
          '*.secret',
          '*.key',
          '*.token',
          '*.password',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { method?: string; url?: string; ip?: string; headers?: Record<string, unknown> }) => ({
          method: req.method,
          url: redactUrl(req.url ?? ''),
          ip: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}
