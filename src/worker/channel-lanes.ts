/**
 * Runs items of different keys (channels) concurrently and items of one key strictly one after
 * another in arrival order, with at most `concurrency` keys active at a time.
 */

export class ChannelLanes<T> {
  private readonly lanes = new Map<string, T[]>();
  private readonly waiting: string[] = [];
  private active = 0;
  private buffered = 0;
  private idleWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly capacity: number,
    private readonly run: (item: T) => Promise<boolean>,
  ) {}

  /** Items accepted and not finished. */
  get size(): number {
    return this.buffered;
  }

  push(key: string, item: T): void {
    this.buffered++;
    const lane = this.lanes.get(key);
    if (lane !== undefined) {
      lane.push(item);
      return;
    }
    this.lanes.set(key, [item]);
    if (this.active < this.concurrency) this.startLane(key);
    else this.waiting.push(key);
  }

  /** Resolves when fewer than `capacity` items are buffered. */
  async room(): Promise<void> {
    while (this.buffered >= this.capacity) await new Promise<void>((r) => this.roomWaiters.push(r));
  }

  /** Resolves when every lane has stopped. */
  async idle(): Promise<void> {
    while (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private startLane(key: string): void {
    this.active++;
    void this.drain(key);
  }

  private async drain(key: string): Promise<void> {
    const lane = this.lanes.get(key) ?? [];
    let stop = false;
    while (lane.length > 0 && !stop) {
      const item = lane[0] as T;
      // run() resolving false means "stop this lane, leave the rest": used when shutting down.
      stop = !(await this.run(item));
      lane.shift();
      this.finished(1);
    }
    if (stop) {
      this.finished(lane.length);
      lane.length = 0;
    }
    this.lanes.delete(key);
    this.active--;
    const next = this.waiting.shift();
    if (next !== undefined) this.startLane(next);
    if (this.active === 0) this.wake('idle');
  }

  private finished(n: number): void {
    this.buffered -= n;
    if (n > 0) this.wake('room');
  }

  private wake(which: 'idle' | 'room'): void {
    const list = which === 'idle' ? this.idleWaiters : this.roomWaiters;
    if (which === 'idle') this.idleWaiters = [];
    else this.roomWaiters = [];
    for (const r of list) r();
  }
}
