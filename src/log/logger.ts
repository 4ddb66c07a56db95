/** Factory of the one structured JSON (pino) logger a process passes to its components. */

import { hostname } from 'node:os';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { REDACTED, SECRET_KEYS, redactionPaths, scrubSecrets } from './redact.js';

export interface CreateLoggerOptions {
  level: LevelWithSilent;
  /** Component or process name on every line (`gateway`, `worker-0`); omitted: no `name` field. */
  name?: string;
  /** Extra fields on every line, e.g. `{ nodeId }`; omitted: pid and hostname only. */
  base?: Record<string, unknown>;
  /** Where JSON lines go; omitted: stdout. Tests pass a stream that captures lines. */
  destination?: DestinationStream;
  /** Field names to redact in addition to `SECRET_KEYS`. */
  redactKeys?: readonly string[];
}

/**
 * Creates a pino logger writing one JSON object per line. Secret fields are replaced with
 * `[REDACTED]` by name, and every finished line is scrubbed of JWTs and URL passwords, so a
 * token that slipped into a message, an error or a URL does not reach the output either.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const keys = options.redactKeys ? [...SECRET_KEYS, ...options.redactKeys] : SECRET_KEYS;
  const pinoOptions = {
    level: options.level,
    ...(options.name !== undefined ? { name: options.name } : {}),
    base: { pid: process.pid, hostname: hostname(), ...options.base },
    redact: { paths: redactionPaths(keys), censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    hooks: { streamWrite: scrubSecrets },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
