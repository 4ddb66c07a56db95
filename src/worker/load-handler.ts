/** Loads a user's handler module: `WORKER_HANDLER` in embedded mode, `realtime-message worker <module>`. */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, RealtimeError } from '../errors/index.js';
import type { MessageHandler } from './worker-types.js';

/** Thrown when the module cannot be imported or its default export is not a function (ERR_WORKER_HANDLER_MODULE). */
export class HandlerModuleError extends RealtimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.WORKER_HANDLER_MODULE, message, options);
  }
}

/** Imports `path` (relative paths from `cwd`) and returns its default export, which must be a MessageHandler. */
export async function loadHandlerModule(path: string, cwd: string = process.cwd()): Promise<MessageHandler> {
  const url = pathToFileURL(resolve(cwd, path)).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (err) {
    throw new HandlerModuleError(`cannot load handler module ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof mod.default !== 'function') {
    throw new HandlerModuleError(`handler module ${path} must have a default export: the handler function (msg, ctx) => ...`);
  }
  return mod.default as MessageHandler;
}
