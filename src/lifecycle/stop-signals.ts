/**
 * Graceful stop on SIGTERM/SIGINT for every process (gateway, gateway group, worker): the first
 * signal runs the caller's stop once, a bounded time later the process exits 1 regardless.
 */

import type { Logger } from '../log/index.js';

export interface StopSignalsOptions {
  logger: Logger;
  /** Runs once, on the first signal (or `stop()` call); resolves with the exit code. */
  stop: (reason: string) => Promise<number>;
  /** After this long the process exits 1 even if `stop` has not settled. */
  forceAfterMs: number;
  /** Logged at info when stopping begins; omitted: `shutting down`. */
  message?: string;
  /** Extra fields of that line (e.g. the shutdown timeout). */
  fields?: Record<string, unknown>;
  /** Omitted: SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
}

export interface StopSignals {
  /** Starts the stop as a signal would (e.g. the group's primary went away); later calls do nothing. */
  stop(reason: string): void;
  /** True once stopping began. */
  readonly stopping: boolean;
}

/** Installs the signal handlers; the process exits with `stop`'s code (1 when it rejects or overruns). */
export function handleStopSignals(options: StopSignalsOptions): StopSignals {
  const { logger } = options;
  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason, ...options.fields }, options.message ?? 'shutting down');
    const force = setTimeout(() => {
      logger.error({ afterMs: options.forceAfterMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, options.forceAfterMs);
    force.unref();
    options.stop(reason).then(
      (code) => process.exit(code),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, () => stop(signal));
  return {
    stop,
    get stopping() {
      return stopping;
    },
  };
}
