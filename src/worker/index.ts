export type * from './worker-types.js';
export * from './publisher.js';
export * from './create-worker.js';
export * from './run-worker.js';
