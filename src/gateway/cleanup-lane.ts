/**
 * Runs the Redis work a departing subscription leaves behind (presence removal, the leave push)
 * with bounded concurrency, so that thousands of clients leaving at once do not put tens of
 * thousands of commands on one connection, time out and drop leaves. A failure is logged at most
 * once a second with the number of failures held back, so a mass disconnect cannot pile up log
 * lines in memory either.
 */

import type { Logger } from 'pino';
import { LogThrottle } from '../log/index.js';

/** Cleanup tasks in flight at once per gateway. */
export const CLEANUP_CONCURRENCY = 64;

type Task = () => Promise<unknown>;

export class CleanupLane {
  private waiting: { what: string; channel: string; task: Task }[] = [];
  private inFlight = 0;
  private readonly failureLog = new LogThrottle(1000);

  constructor(
    private readonly logger: Logger,
    private readonly concurrency = CLEANUP_CONCURRENCY,
  ) {}

  /** Tasks started or waiting. */
  get pending(): number {
    return this.inFlight + this.waiting.length;
  }

  /** Runs `task` now or once a slot frees; `what` and `channel` label a failure in the log. */
  run(what: string, channel: string, task: Task): void {
    if (this.inFlight < this.concurrency) this.start(what, channel, task);
    else this.waiting.push({ what, channel, task });
  }

  private start(what: string, channel: string, task: Task): void {
    this.inFlight++;
    task()
      .catch((err: unknown) => {
        const held = this.failureLog.pass();
        if (held !== null) this.logger.warn({ err, channel, similarLinesHeld: held }, `${what} failed`);
      })
      .finally(() => {
        this.inFlight--;
        const next = this.waiting.shift();
        if (next !== undefined) this.start(next.what, next.channel, next.task);
        // A drained queue gives its backing store back (shift() keeps the capacity a burst grew it to).
        else if (this.inFlight === 0) this.waiting = [];
      });
  }
}
