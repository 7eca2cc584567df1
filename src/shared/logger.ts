import pino, { type Logger } from 'pino';

/** Tokens in public paths (/c/…, /u/…, /p/…) are credentials: never write them to a log. */
export function redactUrl(url: string): string {
  return url
    .replace(/^\/(c|u|p)\/[^/?#]+/, '/$1/[token]')
    .replace(/([?&](?:api[_-]?key|key|access[_-]?token|token|secret|password)=)[^&#]*/gi, '$1[redacted]');
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
