import type { Logger } from 'pino';

/**
 * Live progress for open console pages: one poll a second per campaign, however many pages watch
 * it, and none when nobody does. Each watcher gets the same rendered fragment.
 */
export function createLiveProgress(deps: {
  /** Renders the campaign's progress fragment, and whether the campaign is still moving. */
  render: (campaignId: string) => Promise<{ html: string; moving: boolean }>;
  logger: Logger;
  intervalMs?: number;
}) {
  const intervalMs = deps.intervalMs ?? 1000;
  const watched = new Map<string, { listeners: Set<(html: string) => void>; timer: NodeJS.Timeout }>();

  async function tick(id: string): Promise<void> {
    const entry = watched.get(id);
    if (!entry) return;
    try {
      const { html, moving } = await deps.render(id);
      for (const listener of entry.listeners) listener(html);
      if (!moving) stopAll(id);
    } catch (error) {
      deps.logger.warn({ err: error, campaignId: id }, 'live progress could not be read');
    }
  }

  function stopAll(id: string): void {
    const entry = watched.get(id);
    if (!entry) return;
    clearInterval(entry.timer);
    watched.delete(id);
    for (const listener of entry.listeners) listener('');
  }

  return {
    /** Calls `listener` with each new fragment ('' when the campaign stopped moving); returns the unsubscribe. */
    watch(id: string, listener: (html: string) => void): () => void {
      let entry = watched.get(id);
      if (!entry) {
        entry = { listeners: new Set(), timer: setInterval(() => void tick(id), intervalMs) };
        entry.timer.unref();
        watched.set(id, entry);
      }
      entry.listeners.add(listener);
      return () => {
        const current = watched.get(id);
        if (!current) return;
        current.listeners.delete(listener);
        if (current.listeners.size === 0) {
          clearInterval(current.timer);
          watched.delete(id);
        }
      };
    },
    /** How many campaigns are polled now (tests). */
    polled: () => watched.size,
    close(): void {
      for (const id of [...watched.keys()]) stopAll(id);
    },
  };
}

export type LiveProgress = ReturnType<typeof createLiveProgress>;

/** One Server-Sent Event: `event:` and a `data:` line per line of the payload. */
export function sseEvent(event: string, data: string): string {
  return `event: ${event}\n${data
    .split(/\r?\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

/** The headers of a live stream: an event stream, never cached, framed or referred. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Ends a live stream when its session ends (sign-out, expiry): checked every `everyMs`. Returns
 * the function that stops checking.
 */
export function whileSignedIn(stillSignedIn: () => Promise<boolean>, end: () => void, everyMs = 5000): () => void {
  const timer = setInterval(() => {
    void stillSignedIn().then(
      (ok) => {
        if (!ok) end();
      },
      () => end(),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Ties an open live stream to its request and session: when the browser goes away or the session
 * ends (checked every 5 s), `stop` runs and the stream ends.
 */
export function endWithSession(
  raw: { on(event: 'close', listener: () => void): unknown },
  stream: { end(): unknown },
  stillSignedIn: () => Promise<boolean>,
  stop: () => void,
): void {
  const unwatch = whileSignedIn(stillSignedIn, () => stream.end());
  raw.on('close', () => {
    stop();
    unwatch();
  });
}
