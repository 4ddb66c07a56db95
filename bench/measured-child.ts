/**
 * Runs a server module (argv[2]: `dist/bin/gateway.js`, `dist/bench/baseline-server.js`) in this process,
 * started with --expose-gc and an IPC channel, and answers the parent's `heap` request with the
 * heap after full collections and the RSS, so a memory benchmark can measure it from outside.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const gc = (globalThis as { gc?: () => void }).gc;
const script = process.argv[2];
if (gc === undefined || process.send === undefined || script === undefined)
  throw new Error('run with --expose-gc, an IPC channel and the server module as argument');

process.on('message', (msg: unknown) => {
  if (msg !== 'heap') return;
  void (async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const { heapUsed, rss } = process.memoryUsage();
    process.send?.({ type: 'heap', heapUsed, rss });
  })();
});

await import(pathToFileURL(resolve(script)).href);
