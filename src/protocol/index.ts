export type * from './types.js';
export * from './codes.js';
