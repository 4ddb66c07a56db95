/**
 * Results of the server API's idempotent calls (`idempotency_key` on publish and broadcast), with
 * memory and Redis twins: a repeat of a (channel, key) within the window gets the first call's
 * result and the call does not run again; a repeat while the first call runs waits for it; a
 * failed call is forgotten so it can be retried.
 */

export interface IdempotencyStore {
  /** Runs `call` once per (channel, key) within the window; repeats resolve with its result (JSON text). */
  run(channel: string, key: string, call: () => Promise<string>): Promise<string>;
}

/** Centrifugo keeps idempotent results for 5 minutes. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 5 * 60_000;
/** Longest accepted idempotency key, characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
