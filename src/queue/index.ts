export type * from './message.js';
export type * from './stream-queue.js';
export * from './stream-entry.js';
export * from './pipeline-error.js';
export * from './stream-lock-lost.js';
export * from './memory-stream-queue.js';
export * from './redis-stream-queue.js';
export * from './stream-pipeline.js';
export * from './compose-redis-pipeline.js';
