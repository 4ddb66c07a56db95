/**
 * One clock for the pings and pong deadlines of every connection of the process. A Node timer per
 * connection costs a Timeout object and a closure for the connection's life (measured: the largest
 * timer item of an idle connection); here a connection due at a time is one entry in the set of
 * its slot, and one interval walks the slots while any connection is waiting.
 */

/** Slot width: a due time is rounded up to the next multiple of it. */
export const PING_WHEEL_RESOLUTION_MS = 50;

/** What the wheel calls when its time comes. */
export interface WheelEntry {
  /** The wheel's bookkeeping: the slot this entry waits in, -1 when it is not scheduled. */
  wheelSlot: number;
  /** The time came (`now`: the wheel's clock, ms). */
  onWheelTick(now: number): void;
}

export class PingWheel {
  private readonly slots = new Map<number, Set<WheelEntry>>();
  private size = 0;
  /** Slots up to this one have been walked. */
  private walked = -1;
  private interval: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: () => number = () => performance.now(),
    private readonly resolutionMs = PING_WHEEL_RESOLUTION_MS,
  ) {}

  /** The wheel's clock (ms); due times are on it. */
  now(): number {
    return this.clock();
  }

  /** Entries waiting. */
  get pending(): number {
    return this.size;
  }

  /** (Re)schedules `entry` to tick at `atMs` (on {@link now}'s clock), or in the next slot if that time is past. */
  schedule(entry: WheelEntry, atMs: number): void {
    this.cancel(entry);
    if (this.interval === null) {
      // Idle until now: nothing waits, so every slot up to the current one counts as walked.
      this.walked = Math.max(this.walked, Math.floor(this.clock() / this.resolutionMs));
      this.interval = setInterval(() => this.walk(), this.resolutionMs);
      this.interval.unref();
    }
    const slot = Math.max(Math.ceil(atMs / this.resolutionMs), this.walked + 1);
    let set = this.slots.get(slot);
    if (set === undefined) this.slots.set(slot, (set = new Set()));
    set.add(entry);
    entry.wheelSlot = slot;
    this.size++;
  }

  cancel(entry: WheelEntry): void {
    if (entry.wheelSlot < 0) return;
    const set = this.slots.get(entry.wheelSlot);
    if (set?.delete(entry) === true) {
      this.size--;
      if (set.size === 0) this.slots.delete(entry.wheelSlot);
    }
    entry.wheelSlot = -1;
  }

  /** Ticks every entry whose slot has come, in slot order; entries scheduled meanwhile wait for a later walk. */
  private walk(): void {
    const now = this.clock();
    const upTo = Math.floor(now / this.resolutionMs);
    for (let slot = this.walked + 1; slot <= upTo; slot++) {
      this.walked = slot;
      const set = this.slots.get(slot);
      if (set === undefined) continue;
      this.slots.delete(slot);
      this.size -= set.size;
      for (const entry of set) {
        entry.wheelSlot = -1;
        entry.onWheelTick(now);
      }
    }
    if (this.size === 0 && this.interval !== null) {
      clearInterval(this.interval);
      this.interval = null;
    }
  }
}

/** The process's wheel, shared by every gateway in it. */
export const pingWheel = new PingWheel();
