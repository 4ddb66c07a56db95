// The one polling helper of the tests: wait for a condition with a deadline, never a fixed sleep.

export interface EventuallyOptions {
  /** Give up after this long, ms; omitted: 5000. */
  timeoutMs?: number;
  /** Named in the timeout error: "timed out waiting for <what>". */
  what?: string;
  /** Pause between checks, ms; omitted: 10. */
  intervalMs?: number;
  /** A check that throws counts as not yet true (e.g. a server still starting); omitted: false, the error propagates. */
  ignoreErrors?: boolean;
}

/** Resolves once `check()` returns true; rejects with "timed out waiting for <what>" after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, options: EventuallyOptions = {}): Promise<void> {
  const { timeoutMs = 5000, what = 'condition', intervalMs = 10, ignoreErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = ignoreErrors
      ? await Promise.resolve()
          .then(check)
          .catch(() => false)
      : await check();
    if (done) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
