/**
 * Counter children for the per-message path. prom-client hashes a child's labels on every `inc`;
 * these sum increments in a plain number and add them to the counter when a registry reads it
 * (a scrape, or the primary's aggregation of a process group), so a scrape sees every increment.
 */

import type { Counter } from 'prom-client';

export interface CounterChild {
  inc(n?: number): void;
}

interface Pending {
  labels: Partial<Record<string, string | number>>;
  n: number;
}

const pendingByCounter = new WeakMap<Counter, Pending[]>();

/** A child of `counter` for `labels` whose increments reach the counter at its next collect. */
export function batchedChild<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string | number>>): CounterChild {
  const key = counter as unknown as Counter;
  let list = pendingByCounter.get(key);
  if (list === undefined) {
    list = [];
    pendingByCounter.set(key, list);
    const pending = list;
    const target = counter as unknown as { collect?: () => unknown };
    const previous = target.collect;
    target.collect = function collect(this: unknown) {
      for (const p of pending) {
        if (p.n === 0) continue;
        counter.inc(p.labels as Partial<Record<L, string | number>>, p.n);
        p.n = 0;
      }
      return previous?.call(this);
    };
  }
  const entry: Pending = { labels, n: 0 };
  list.push(entry);
  return {
    inc(n = 1) {
      entry.n += n;
    },
  };
}
