/**
 * The loop of a queue consumer (the outbox worker, the webhook dispatcher): run a pass, and when
 * it found nothing, sleep `pollMs` or until poked; `stop` ends the loop after the pass under way.
 */
export interface PollLoop {
  start(): void;
  /** Runs the next pass now instead of at the next poll (work was just queued). */
  poke(): void;
  /** Stops looping and resolves when the pass under way has ended. */
  stop(): Promise<void>;
  /** Runs passes until one finds nothing; resolves with how many items they handled (tests, CLI). */
  drain(): Promise<number>;
  /** True once `stop` was called: a long pass checks it to end early. */
  readonly stopping: boolean;
}

export function createPollLoop(options: {
  /** One pass: handles what is due and returns how many items it handled. */
  pass: () => Promise<number>;
  pollMs: number;
  /** A pass that threw: the loop goes on after a sleep. */
  onError: (error: unknown) => void;
}): PollLoop {
  const { pass, pollMs } = options;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let poked = false;

  function sleep(): Promise<void> {
    if (poked) {
      poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let count = 0;
      try {
        count = await pass();
      } catch (error) {
        options.onError(error);
      }
      if (count === 0 && !stopping) await sleep();
    }
  }

  return {
    start() {
      if (!loop) loop = run();
    },
    poke() {
      if (wake) wake();
      else poked = true;
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
    async drain() {
      let total = 0;
      for (let n = await pass(); n > 0; n = await pass()) total += n;
      return total;
    },
    get stopping() {
      return stopping;
    },
  };
}
