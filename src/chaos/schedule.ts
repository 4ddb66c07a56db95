/**
 * The fault schedule of a chaos run, as a pure function of its duration: worker kill -9 + restart
 * every 10 s, gateway kill -9 + restart every 30 s, a worker joining and one retired, Redis
 * killed and restarted, and Redis paused (SIGSTOP) for a few seconds.
 */

export type FaultKind = 'worker-kill' | 'gateway-kill' | 'worker-join' | 'worker-retire' | 'redis-restart' | 'redis-pause';

export interface Fault {
  atMs: number;
  kind: FaultKind;
}

/** Faults for a run of `durationMs`, in time order; none in the first 5 s or the last 5 s. */
export function planFaults(durationMs: number): Fault[] {
  const faults: Fault[] = [];
  const end = durationMs - 5000;
  const every = (kind: FaultKind, firstMs: number, periodMs: number): void => {
    for (let t = firstMs; t < end; t += periodMs) faults.push({ atMs: t, kind });
  };
  every('worker-kill', 8000, 10_000);
  every('gateway-kill', 20_000, 30_000);
  // Membership: a worker joins, and one is retired a while later (kill -9, then `worker retire`).
  every('worker-join', 13_000, 150_000);
  every('worker-retire', 33_000, 150_000);
  // Redis: short runs get one of each in the middle; longer runs one of each every 5 minutes.
  if (durationMs <= 300_000) {
    faults.push({ atMs: Math.round(durationMs * 0.45), kind: 'redis-restart' });
    faults.push({ atMs: Math.round(durationMs * 0.72), kind: 'redis-pause' });
  } else {
    every('redis-restart', 140_000, 300_000);
    every('redis-pause', 230_000, 300_000);
  }
  return faults.filter((f) => f.atMs >= 5000 && f.atMs < end).sort((a, b) => a.atMs - b.atMs);
}
