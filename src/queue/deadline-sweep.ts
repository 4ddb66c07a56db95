/**
 * Time limits for many short operations without a timer each: operations are grouped by the
 * quarter of the limit in which they started, and one timer fails every group that has been
 * waiting a full limit. An operation therefore fails after between 1 and 1.25 times the limit.
 */

import { PipelineError } from './pipeline-error.js';

interface Guarded {
  settled: boolean;
  reject: (err: Error) => void;
}

const quarters = 4;

export class DeadlineSweep {
  /** Index 0: started in the current quarter; the last: the oldest still watched. */
  private readonly groups: Guarded[][] = Array.from({ length: quarters + 1 }, () => []);
  private timer: NodeJS.Timeout | null = null;
  private watched = 0;

  constructor(private readonly limitMs: number) {}

  /** Resolves or rejects as `operation` does, or rejects when it takes longer than the limit. */
  guard<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Guarded = { settled: false, reject };
      (this.groups[0] as Guarded[]).push(entry);
      this.watched++;
      this.timer ??= setInterval(() => this.sweep(), this.limitMs / quarters);
      operation.then(
        (value) => {
          if (entry.settled) return;
          entry.settled = true;
          this.watched--;
          resolve(value);
        },
        (err: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          this.watched--;
          reject(err);
        },
      );
    });
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    const expired = this.groups.pop() as Guarded[];
    for (const entry of expired) {
      if (entry.settled) continue;
      entry.settled = true;
      this.watched--;
      entry.reject(new PipelineError('unavailable', `append timed out after ${this.limitMs} ms`));
    }
    expired.length = 0;
    this.groups.unshift(expired);
    if (this.watched === 0) {
      for (const g of this.groups) g.length = 0;
      this.close();
    }
  }
}
