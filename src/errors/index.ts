export * from './error-codes.js';
export * from './realtime-error.js';
