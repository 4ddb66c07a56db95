export * from './logger.js';
export * from './redact.js';
export type { Logger, LevelWithSilent as LogLevel } from 'pino';
export * from './log-throttle.js';
