// Kept for existing scripts: `tsx bin/worker.ts retire <worker-id>` is `realtime-message worker retire <worker-id>`.

import { CommandError, retireWorker } from './operator-commands.js';

const [command, ...rest] = process.argv.slice(2);
(command === 'retire' ? retireWorker(rest) : Promise.reject(new CommandError('usage: tsx bin/worker.ts retire <worker-id>', 2))).catch(
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof CommandError ? err.exitCode : 1);
  },
);
