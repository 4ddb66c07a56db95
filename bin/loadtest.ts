/**
 * WebSocket load tester: `NUM_CLIENTS=500 MESSAGES_PER_CLIENT=1200 npm run loadtest:ws`.
 * Variables are described in docs/loadtest.md. With WORKERS=N it forks N copies of itself
 * (LOADTEST_SHARD=i/N) and merges their histograms.
 */

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  formatReport,
  LoadTestOptionsError,
  parseLoadTestOptions,
  runLoadTest,
  serveShard,
  type ShardMessage,
  type ShardPort,
  type ShardSpec,
} from '../src/loadtest/index.js';

function processPort(send: (message: ShardMessage) => void, target: NodeJS.EventEmitter): ShardPort {
  return {
    send,
    onMessage: (listener) => {
      target.on('message', (message: ShardMessage) => listener(message));
    },
  };
}

async function runChild(shardVar: string): Promise<void> {
  const [index, count] = shardVar.split('/').map(Number) as [number, number];
  const options = parseLoadTestOptions(process.env, process.env.LOADTEST_RUN_ID ?? 'child');
  const send = (message: ShardMessage): void => {
    process.send?.(message);
  };
  await serveShard(options, { index, count }, processPort(send, process));
  process.disconnect?.();
}

async function runParent(): Promise<number> {
  const runId = randomBytes(4).toString('hex');
  const options = parseLoadTestOptions(process.env, runId);
  const children: ReturnType<typeof fork>[] = [];
  const launch = (spec: ShardSpec): ShardPort => {
    const child = fork(process.argv[1] as string, [], {
      env: { ...process.env, LOADTEST_SHARD: `${spec.index}/${spec.count}`, LOADTEST_RUN_ID: runId },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    child.on('exit', (code) => {
      if (code !== 0) console.error(`loadtest: worker ${spec.index} exited with ${code}`);
    });
    return processPort((message) => child.send(message), child);
  };
  const rate =
    options.ratePerClient > 0
      ? `${options.ratePerClient.toFixed(2)} msg/s per client`
      : `closed loop, ${options.window} in flight per client`;
  console.error(
    `loadtest ${runId}: ${options.numClients} clients, ${rate}, ${(options.durationMs / 1000).toFixed(1)} s, ` +
      `${options.channels} channels x ${options.subscribersPerChannel} subscribers, ${options.protocol}, ${options.workers} process(es) -> ${options.url}`,
  );
  const tty = process.stderr.isTTY;
  const report = await runLoadTest(options, {
    launch,
    onProgress: (line) => process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`),
  });
  if (tty) process.stderr.write('\n');
  console.log(formatReport(report));
  if (options.output !== null) {
    writeFileSync(options.output, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`report written to ${options.output}`);
  }
  for (const child of children) if (child.connected) child.disconnect();
  return report.passed ? 0 : 1;
}

try {
  const shardVar = process.env.LOADTEST_SHARD;
  if (shardVar !== undefined) {
    await runChild(shardVar);
  } else {
    process.exitCode = await runParent();
  }
} catch (err) {
  console.error(err instanceof LoadTestOptionsError ? err.message : err);
  process.exitCode = 2;
}
