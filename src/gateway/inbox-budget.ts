/**
 * The byte bound on one connection's received commands: bytes are taken when a frame's commands
 * are queued and released when each command has finished (a publish when its append settles).
 * While the budget is full the connection's socket is not read (backpressure reaches the client
 * through TCP); reading resumes once half of it is free again.
 */

/** Stops and restarts reading from the transport (the transport itself: no per-connection adapter). */
export interface ReadFlow {
  pauseReading(): void;
  resumeReading(): void;
}

export class InboxBudget {
  private held = 0;
  private paused = false;

  /** `maxBytes`: the bound; one frame is always accepted, so a connection holds at most maxBytes plus one frame. */
  constructor(
    private readonly maxBytes: number,
    private readonly flow: ReadFlow,
  ) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** True while reading is paused. */
  get full(): boolean {
    return this.paused;
  }

  take(bytes: number): void {
    this.held += bytes;
    if (!this.paused && this.held >= this.maxBytes) {
      this.paused = true;
      this.flow.pauseReading();
    }
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    if (this.paused && this.held <= this.maxBytes / 2) {
      this.paused = false;
      this.flow.resumeReading();
    }
  }

  /** Forgets everything held (the connection closed) and resumes reading, so the close handshake can complete. */
  clear(): void {
    this.held = 0;
    if (this.paused) {
      this.paused = false;
      this.flow.resumeReading();
    }
  }
}
