// Entry point of a measured gateway: the real bin/gateway.ts in this process (started with
// --expose-gc), answering the parent's IPC 'heap' request with the heap after full collections
// ('snapshot:<path>' writes a heap snapshot there, for investigations).

import { writeHeapSnapshot } from 'node:v8';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined || process.send === undefined) throw new Error('run with --expose-gc and an IPC channel');

process.on('message', (msg: unknown) => {
  if (typeof msg === 'string' && msg.startsWith('snapshot:')) {
    gc();
    writeHeapSnapshot(msg.slice('snapshot:'.length));
    process.send?.({ heapUsed: 0, rss: 0 });
    return;
  }
  if (msg !== 'heap') return;
  void (async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const { heapUsed, rss } = process.memoryUsage();
    process.send?.({ heapUsed, rss });
  })();
});

await import('../../bin/gateway.js');
