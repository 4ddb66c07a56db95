/**
 * The fan-out benchmark's report (`npm run bench:fanout`, `FANOUT_OUTPUT`): its JSON shape, the
 * per-side medians, the printed summary, and `renderFanoutSection`, the Markdown section for
 * docs/benchmarks.md ("## Fan-out tail: …") built from the JSON alone.
 */

import type { LatencySummary } from '../src/loadtest/latency-histogram.js';
import { median } from './bench-report.js';

export type FanoutSide = 'product' | 'floor';

export interface FanoutSettings {
  subscribers: number;
  /** Publications per second to the one channel. */
  rate: number;
  durationS: number;
  warmupS: number;
  runs: number;
  clientProcesses: number;
  channel: string;
  /** How the floor's publications came in: its own `POST /api/publish` (`http`) or a direct Redis `PUBLISH`; absent in reports before it existed: `redis`. */
  floorPublish?: 'http' | 'redis';
}

/** One measured run of one side. */
export interface FanoutRun {
  side: FanoutSide;
  run: number;
  subscribersConnected: number;
  /** Subscriber connections that closed during the run. */
  subscribersClosed: number;
  /** Publications scheduled in the measured window, acknowledged, failed (by cause); sent during the warm-up. */
  publications: { scheduled: number; acked: number; failed: number; errors: Record<string, number>; resent: number; warmup: number };
  /** expected = scheduled publications x configured subscribers; delivered counts pushes of window publications. */
  deliveries: { expected: number; delivered: number; missing: number; perSecond: number };
  /** Scheduled send time to arrival of the push at a subscriber, ms. */
  latency: LatencySummary;
  /** The publisher's own lateness: actual send - scheduled time, ms. */
  sendLag: LatencySummary;
  /** Scheduled time to the publish's reply (HTTP API reply; PUBLISH reply for the floor), ms. */
  publishReply: LatencySummary;
  /** CPU (utime + stime) over the measured window per process, µs. */
  cpuUs: Record<string, number>;
  /** `cpuUs` divided by the deliveries, plus `server + redis` and `all`. */
  cpuUsPerDelivery: Record<string, number>;
  /** Cores other processes of the machine kept busy during the window (/proc/stat busy minus ours): a shared machine's noise. */
  otherCores: number;
}

export interface FanoutMedians {
  runs: number;
  deliveriesPerSecond: number;
  latency: { p50: number; p99: number; p999: number; max: number };
  missing: number;
  sendLagP99: number;
  publishReplyP99: number;
  cpuUsPerDelivery: Record<string, number>;
}

export interface FanoutReport {
  kind: 'fanout-tail';
  version: 1;
  date: string;
  command: string;
  machine: string[];
  settings: FanoutSettings;
  runs: FanoutRun[];
  medians: { product: FanoutMedians | null; floor: FanoutMedians | null };
  /** Issue 12: product delivery p99 <= 1.3x the floor's (medians over runs). */
  target: { p99Ratio: number; ratio: number | null; met: boolean | null };
}

/** The product's target: delivery p99 at most this times the batched bare broadcast's. */
export const FANOUT_P99_TARGET = 1.3;

/** Medians over one side's runs; null when it has none. */
export function fanoutMedians(runs: readonly FanoutRun[], side: FanoutSide): FanoutMedians | null {
  const mine = runs.filter((r) => r.side === side);
  if (mine.length === 0) return null;
  const m = (pick: (r: FanoutRun) => number): number => median(mine.map(pick));
  const names = [...new Set(mine.flatMap((r) => Object.keys(r.cpuUsPerDelivery)))];
  return {
    runs: mine.length,
    deliveriesPerSecond: m((r) => r.deliveries.perSecond),
    latency: { p50: m((r) => r.latency.p50), p99: m((r) => r.latency.p99), p999: m((r) => r.latency.p999), max: m((r) => r.latency.max) },
    missing: m((r) => r.deliveries.missing),
    sendLagP99: m((r) => r.sendLag.p99),
    publishReplyP99: m((r) => r.publishReply.p99),
    cpuUsPerDelivery: Object.fromEntries(names.map((n) => [n, m((r) => r.cpuUsPerDelivery[n] ?? Number.NaN)])),
  };
}

/** The report with its medians and the target check. */
export function buildFanoutReport(meta: Pick<FanoutReport, 'date' | 'command' | 'machine' | 'settings'>, runs: FanoutRun[]): FanoutReport {
  const product = fanoutMedians(runs, 'product');
  const floor = fanoutMedians(runs, 'floor');
  const ratio = product !== null && floor !== null && floor.latency.p99 > 0 ? product.latency.p99 / floor.latency.p99 : null;
  return {
    kind: 'fanout-tail',
    version: 1,
    ...meta,
    runs,
    medians: { product, floor },
    target: { p99Ratio: FANOUT_P99_TARGET, ratio, met: ratio === null ? null : ratio <= FANOUT_P99_TARGET },
  };
}

const fmtInt = (n: number): string => (Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const fmtMs = (n: number): string =>
  Number.isNaN(n) ? 'n/a' : n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`;
const fmtUs = (n: number): string => (Number.isNaN(n) ? 'n/a' : `${n.toFixed(2)} µs`);
/** 200000 -> "200k", 1500 -> "1,500". */
const fmtRate = (n: number): string => (n >= 10_000 && n % 1000 === 0 ? `${fmtInt(n / 1000)}k` : fmtInt(n));

function ratioText(product: number, floor: number): string {
  return Number.isNaN(product) || Number.isNaN(floor) || floor === 0 ? '' : `${(product / floor).toFixed(2)}x`;
}

/** The process order of the CPU table: server, Redis, publisher, subscribers, then the sums. */
function cpuOrder(name: string): number {
  if (name === 'server') return 0;
  if (name === 'redis') return 1;
  if (name === 'publisher') return 2;
  if (name.startsWith('subscribers')) return 3;
  return name === 'server + redis' ? 4 : 5;
}

interface RowExtra {
  met?: string;
  ratio?: boolean;
}

function latencyTable(report: FanoutReport): string[] {
  const p = report.medians.product;
  const f = report.medians.floor;
  const s = report.settings;
  const lines = ['| Metric | Target | Product | Floor | Product / floor | Met |', '|---|---|---:|---:|---:|:---:|'];
  // `ratio: false`: counts, or figures of different paths (the HTTP API against a PUBLISH).
  const row = (
    label: string,
    target: string,
    pick: (m: FanoutMedians) => number,
    format: (n: number) => string,
    extra: RowExtra = {},
  ): void => {
    const pv = p === null ? Number.NaN : pick(p);
    const fv = f === null ? Number.NaN : pick(f);
    const ratio = extra.ratio === false ? '' : ratioText(pv, fv);
    lines.push(`| ${label} | ${target} | ${format(pv)} | ${format(fv)} | ${ratio} | ${extra.met ?? ''} |`);
  };
  const met = report.target.met === null ? '' : report.target.met ? 'yes' : 'NO';
  const complete = p === null ? '' : p.missing === 0 ? 'yes' : 'NO';
  row(
    'Deliveries',
    `${fmtInt(s.rate * s.subscribers)}/s offered`,
    (m) => m.deliveriesPerSecond,
    (n) => `${fmtInt(n)}/s`,
  );
  row('Delivery p50', '', (m) => m.latency.p50, fmtMs);
  row('Delivery p99', `<= ${report.target.p99Ratio}x floor`, (m) => m.latency.p99, fmtMs, { met });
  row('Delivery p99.9', '', (m) => m.latency.p999, fmtMs);
  row('Delivery max', '', (m) => m.latency.max, fmtMs);
  row('Missing deliveries', '0', (m) => m.missing, fmtInt, { met: complete, ratio: false });
  row('Publisher send lag p99', 'small', (m) => m.sendLagP99, fmtMs, { ratio: false });
  row('Publish reply p99', 'reported', (m) => m.publishReplyP99, fmtMs, { ratio: false });
  return lines;
}

function cpuTable(report: FanoutReport): string[] {
  const p = report.medians.product?.cpuUsPerDelivery ?? {};
  const f = report.medians.floor?.cpuUsPerDelivery ?? {};
  const names = [...new Set([...Object.keys(p), ...Object.keys(f)])].sort((a, b) => cpuOrder(a) - cpuOrder(b) || a.localeCompare(b));
  const lines = ['| CPU per delivery | Product | Floor | Product / floor |', '|---|---:|---:|---:|'];
  for (const name of names) {
    const pv = p[name] ?? Number.NaN;
    const fv = f[name] ?? Number.NaN;
    const label = name === 'server' ? 'server (gateway / bare broadcast)' : name === 'server + redis' ? '**server + Redis**' : name;
    lines.push(`| ${label} | ${fmtUs(pv)} | ${fmtUs(fv)} | ${ratioText(pv, fv)} |`);
  }
  return lines;
}

function runsTable(report: FanoutReport): string[] {
  const lines = [
    '| run | side | deliveries/s | missing | p50 | p99 | p99.9 | max | send lag p99 | CPU µs/delivery (all) | other load (cores) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of report.runs) {
    lines.push(
      `| ${r.run} | ${r.side} | ${fmtInt(r.deliveries.perSecond)} | ${fmtInt(r.deliveries.missing)} | ${fmtMs(r.latency.p50)} | ${fmtMs(r.latency.p99)}` +
        ` | ${fmtMs(r.latency.p999)} | ${fmtMs(r.latency.max)} | ${fmtMs(r.sendLag.p99)} | ${fmtUs(r.cpuUsPerDelivery['all'] ?? Number.NaN)} | ${Number.isFinite(r.otherCores) ? r.otherCores.toFixed(2) : 'n/a'} |`,
    );
  }
  return lines;
}

/** The Markdown section for docs/benchmarks.md, from a `FanoutReport` (the JSON of `FANOUT_OUTPUT`). */
export function renderFanoutSection(report: FanoutReport): string {
  const s = report.settings;
  const medianOf = Math.max(report.medians.product?.runs ?? 0, report.medians.floor?.runs ?? 0);
  return [
    `## Fan-out tail: ${fmtInt(s.subscribers)} subscribers, ${fmtRate(s.rate * s.subscribers)} deliveries/s`,
    '',
    `\`${report.command}\` on ${report.date}; medians of ${medianOf} run(s) per side, each side started fresh per run, runs alternating.`,
    `One channel (\`${s.channel}\`), ${fmtInt(s.subscribers)} subscribers (raw \`ws\` JSON connections in ${s.clientProcesses} processes),`,
    `${fmtInt(s.rate)} publications/s on an open-loop schedule for ${s.durationS} s after ${s.warmupS} s of unmeasured warm-up.`,
    "Latency is from each publication's scheduled send time to its push reaching a subscriber (no coordinated omission).",
    `Product: the compiled gateway in Redis mode, publications through the server HTTP API (\`POST /api/publish\`)${s.channel.startsWith('chat:') ? ' into the built-in `chat:*` namespace (history and presence on)' : ''};`,
    'floor: the batched bare broadcast (`bench/baseline-broadcast.ts`: one Redis pub/sub subscription, the pushes of one',
    `event-loop turn as one frame per socket), publications ${
      s.floorPublish === 'http'
        ? "through its own `POST /api/publish`, which PUBLISHes (so on both sides a publication crosses the server's event loop twice)"
        : 'by a direct Redis `PUBLISH`'
    }. CPU is utime + stime from /proc`,
    'over the measured window per delivery received, every process against all deliveries (the subscriber processes add up).',
    '',
    ...latencyTable(report),
    '',
    ...cpuTable(report),
    '',
    ...runsTable(report),
    '',
  ].join('\n');
}

/** The printed summary: headline figures per side and the target. */
export function fanoutSummary(report: FanoutReport): string[] {
  const line = (side: FanoutSide, m: FanoutMedians | null): string =>
    m === null
      ? `${side}: no runs`
      : `${side}: ${fmtInt(m.deliveriesPerSecond)} deliveries/s, p50 ${fmtMs(m.latency.p50)}, p99 ${fmtMs(m.latency.p99)}, ` +
        `p99.9 ${fmtMs(m.latency.p999)}, max ${fmtMs(m.latency.max)}, missing ${fmtInt(m.missing)}, send lag p99 ${fmtMs(m.sendLagP99)}, ` +
        `CPU ${fmtUs(m.cpuUsPerDelivery['server + redis'] ?? Number.NaN)}/delivery server + Redis, ${fmtUs(m.cpuUsPerDelivery['all'] ?? Number.NaN)} all`;
  const t = report.target;
  const verdict =
    t.ratio === null ? 'not measured' : `${t.ratio.toFixed(2)}x (target <= ${t.p99Ratio}x): ${t.met === true ? 'met' : 'NOT met'}`;
  return [
    `medians of ${report.settings.runs} run(s)`,
    line('product', report.medians.product),
    line('floor', report.medians.floor),
    `delivery p99 product / floor: ${verdict}`,
  ];
}
