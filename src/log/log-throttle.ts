/**
 * A gate for log lines that can repeat per connection (e.g. every client's command failing while
 * Redis is down): at most one line per interval passes, and it says how many were held back.
 */
export class LogThrottle {
  private readonly intervalMs: number;
  private lastMs = -Infinity;
  private held = 0;

  /** `intervalMs`: minimum time between two lines that pass. */
  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Returns the number of lines held back since the last one that passed, or null to hold this one. */
  pass(nowMs: number = Date.now()): number | null {
    if (nowMs - this.lastMs < this.intervalMs) {
      this.held++;
      return null;
    }
    this.lastMs = nowMs;
    const held = this.held;
    this.held = 0;
    return held;
  }
}
