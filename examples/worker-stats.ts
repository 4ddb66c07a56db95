// The stats worker: echoes publications back like worker-simple and every few seconds prints processed
// count, rate, lag (entries not yet read + pending), latency percentiles (gateway accept -> handled) and
// the busiest channels. Run: WORKER_ID=worker-0 npm run worker:stats
import { build } from 'hdr-histogram-js';
import { messageData, runWorker, withDotEnv } from 'realtime-message/worker';

const encoder = new TextEncoder();
const latency = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
const perChannel = new Map<string, number>();
let processed = 0;
let processedAtLastReport = 0;

const { worker, workerConfig } = await runWorker(
  async (msg, ctx) => {
    if (msg.kind === 'rpc') return msg.data;
    if (msg.kind === 'publish') {
      const info = {
        user: msg.user,
        client: msg.client,
        ...(msg.connInfo === undefined ? {} : { conn_info: encoder.encode(msg.connInfo) }),
      };
      await ctx.publish(msg.channel, messageData(msg), { info });
    }
    return undefined;
  },
  {
    env: withDotEnv(process.env),
    worker: {
      onProcessed: (msg, info) => {
        processed++;
        latency.recordValue(Math.max(1, Math.round(info.latencyMs)));
        perChannel.set(msg.channel, (perChannel.get(msg.channel) ?? 0) + 1);
      },
    },
  },
);

let last = Date.now();
setInterval(() => {
  const now = Date.now();
  const rate = ((processed - processedAtLastReport) * 1000) / (now - last);
  last = now;
  processedAtLastReport = processed;
  const busiest = [...perChannel]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([c, n]) => `${c}=${n}`)
    .join(' ');
  const percentiles =
    latency.totalCount === 0
      ? '-'
      : `p50=${latency.getValueAtPercentile(50)} p90=${latency.getValueAtPercentile(90)} p99=${latency.getValueAtPercentile(99)} max=${latency.maxValue}`;
  const head = `[${worker.id}] processed=${processed} rate=${rate.toFixed(1)}/s`;
  worker.info().then(
    (s) => {
      console.log(
        `${head} lag=${s.lag + s.pending} (unread=${s.lag} pending=${s.pending}) latency ms ${percentiles} busiest: ${busiest || '-'}`,
      );
    },
    (err: unknown) => console.log(`${head} (stream info unavailable: ${String(err)})`),
  );
  latency.reset();
  perChannel.clear();
}, workerConfig.statsIntervalMs).unref();
