/**
 * Rendezvous (highest random weight) hashing: a channel belongs to the worker whose
 * `score(channel, worker)` is highest. Deterministic across processes and languages:
 * score = fmix32(fnv1a32(utf8(channel)) XOR fmix32(fnv1a32(utf8(workerId)))), ties to the
 * lexicographically smaller worker id.
 */

import type { WorkerId } from '../redis/index.js';

const encoder = new TextEncoder();

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
    } else {
      for (const b of encoder.encode(text.slice(i))) h = Math.imul(h ^ b, 0x01000193);
      return h >>> 0;
    }
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer (full avalanche). */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A fixed set of workers, pre-hashed for fast lookups. */
export class RendezvousSet {
  readonly workers: readonly WorkerId[];
  private readonly hashes: Uint32Array;

  constructor(workers: Iterable<WorkerId>) {
    this.workers = [...new Set(workers)].sort();
    this.hashes = Uint32Array.from(this.workers, (w) => fmix32(fnv1a32(w)));
  }

  get size(): number {
    return this.workers.length;
  }

  /** The owner of `channel`; undefined when the set is empty. */
  owner(channel: string): WorkerId | undefined {
    const hc = fnv1a32(channel);
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < this.hashes.length; i++) {
      const score = fmix32(hc ^ (this.hashes[i] ?? 0));
      // Workers are sorted, so keeping the first maximum breaks ties to the smaller id.
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best < 0 ? undefined : this.workers[best];
  }
}

/** One-off lookup; prefer {@link RendezvousSet} for many. */
export function rendezvousOwner(channel: string, workers: Iterable<WorkerId>): WorkerId | undefined {
  return new RendezvousSet(workers).owner(channel);
}
