/**
 * Counter children for the per-message path. prom-client hashes a child's labels on every `inc`;
 * these sum increments in a plain number and add them to the counter when a registry reads it
 * (a scrape, or the primary's aggregation of a process group), so a scrape sees every increment.
 */

import type { Counter } from 'prom-client';

export interface CounterChild {
  inc(n?: number): void;
}

/** Per counter, the flushes of its batched children, run by the counter's collect. */
const flushesByCounter = new WeakMap<object, (() => void)[]>();

/** A child of `counter` for `labels` whose increments reach the counter at its next collect. */
export function batchedChild<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string | number>>): CounterChild {
  let flushes = flushesByCounter.get(counter);
  if (flushes === undefined) {
    const list: (() => void)[] = [];
    flushes = list;
    flushesByCounter.set(counter, list);
    // prom-client calls an instance's `collect` before every read; its typings only know it as an option.
    const target = counter as unknown as { collect?: () => unknown };
    const previous = target.collect;
    target.collect = function collect(this: unknown) {
      for (const flush of list) flush();
      return previous?.call(this);
    };
  }
  let pending = 0;
  flushes.push(() => {
    if (pending === 0) return;
    counter.inc(labels, pending);
    pending = 0;
  });
  return {
    inc(n = 1) {
      pending += n;
    },
  };
}
