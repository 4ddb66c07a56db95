export * from './connection.js';
export * from './keys.js';
export * from './lua-script.js';
export * from './redis-errors.js';
export * from './replies.js';
export * from './sentinel-connection.js';
export * from './redis-target.js';
