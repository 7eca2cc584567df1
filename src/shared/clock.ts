/**
 * Where operations take the time from. An operation reads `clock.now()` once and passes that
 * `now` down, so every row it writes carries the same instant; tests inject a fixed clock.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => Date.now() };
