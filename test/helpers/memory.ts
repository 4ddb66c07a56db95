/** Heap measurements for memory-bound tests: a collected heap size, with `gc` exposed at run time. */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = (globalThis as { gc?: () => void }).gc ?? (runInNewContext('gc') as () => void);

/** Bytes of heap in use after full collections (weak callbacks and finalisers get a turn between them). */
export async function collectedHeapBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

export const MB = 1024 * 1024;
