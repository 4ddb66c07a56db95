#!/usr/bin/env node
// The package's command (`npx realtime-message ...`): the gateway, a handler module as a worker
// process, and the operator commands. Configuration comes from the environment (and .env).

import { withDotEnv } from '../src/config/index.js';
import { HandlerModuleError, createWorkerLogger, loadHandlerModule, runWorker } from '../src/worker/index.js';
import { CommandError, deadLetters, retireWorker } from './operator-commands.js';

const usage = `usage: realtime-message <command>
  gateway                                   start a gateway (embedded mode unless REDIS_URL or REDIS_SENTINELS is set)
  worker <module>                           run a handler module (default export: the handler) as a worker process
  worker retire <worker-id>                 remove a worker from its pool for good (WORKER_POOL); refuses unknown ids
  dead-letters list|replay|purge --worker <worker-id> [--id <entry-id>]... [--count <n>] [--to <worker-id>]
Configuration: environment variables (and .env), see docs/configuration.md.`;

async function main(args: readonly string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === 'gateway') {
    await import('./gateway.js');
  } else if (command === 'worker' && rest[0] === 'retire') {
    await retireWorker(rest.slice(1));
  } else if (command === 'worker' && rest[0] !== undefined && rest.length === 1) {
    const handler = await loadHandlerModule(rest[0]);
    const env = withDotEnv(process.env);
    await runWorker(handler, { env, logger: createWorkerLogger(env) });
  } else if (command === 'dead-letters') {
    await deadLetters(rest);
  } else {
    throw new CommandError(usage, command === undefined || command === 'help' || command === '--help' ? 0 : 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommandError) {
    (err.exitCode === 0 ? console.log : console.error)(err.message);
    process.exit(err.exitCode);
  }
  console.error(err instanceof HandlerModuleError ? err.message : err);
  process.exit(1);
});
