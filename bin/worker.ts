// Operator commands for workers: `tsx bin/worker.ts retire <worker-id>`. Workers themselves start
// from examples/ (e.g. `npm run worker`) through `runWorker` in src/worker.

import { pathToFileURL } from 'node:url';
import { loadConfig, loadOrExit, withDotEnv } from '../src/config/index.js';
import { openRedisConnection } from '../src/queue/index.js';
import { PipelineKeys, RedisWorkerRegistry } from '../src/routing/index.js';

function readConfig(): ReturnType<typeof loadConfig> {
  return loadOrExit(() => loadConfig(withDotEnv(process.env)));
}

/** `retire <worker-id>`: removes a worker from the routing set for good; live workers drain its stream. */
async function main(args: string[]): Promise<void> {
  const [command, id] = args;
  if (command !== 'retire' || id === undefined) {
    console.error('usage: tsx bin/worker.ts retire <worker-id>   (workers themselves start from examples/, e.g. npm run worker)');
    process.exit(2);
  }
  const config = readConfig();
  if (config.redisUrl === null) {
    console.error('REDIS_URL is not set');
    process.exit(1);
  }
  const redis = openRedisConnection({ url: config.redisUrl, cluster: config.redisCluster }, { role: 'worker', name: 'worker-retire' });
  await redis.connect();
  const keys = new PipelineKeys({ prefix: config.redisPrefix, hashTags: config.redisCluster });
  const registry = new RedisWorkerRegistry({ redis, keys });
  await registry.deregister(id);
  console.log(`${id} retired: its channels move to the other workers; a live worker drains its stream`);
  redis.disconnect();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
