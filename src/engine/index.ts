export type * from './broker.js';
export type * from './presence-manager.js';
