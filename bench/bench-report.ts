/** Turns the benchmark's load-test reports (gateway and baseline, several runs) into docs/benchmarks.md. */

import type { LoadTestReport } from '../src/loadtest/index.js';
import type { ProfileLine } from './cpu-profile-summary.js';

export interface BenchContext {
  date: string;
  machine: string[];
  setup: string[];
  seed: { clients: number; rate: number; durationS: number; channels: number; subscribers: number };
  saturation: { clients: number; window: number; durationS: number };
  command: string;
}

export interface ScenarioRuns { gateway: LoadTestReport[]; baseline: LoadTestReport[] }

export interface BenchProfile { label: string; busyMs: number; totalMs: number; top: ProfileLine[] }

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => (n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
const fmtPct = (n: number): string => `${(n * 100).toFixed(2)}%`;

type Pick = (r: LoadTestReport) => number;

interface Row { label: string; target: string; pick: Pick; format: (n: number) => string; check?: (gw: number, base: number) => boolean; ratio?: boolean }

function table(runs: ScenarioRuns, rows: readonly Row[]): string[] {
  const lines = ['| Metric | Target | Gateway | Baseline | Gateway / baseline | Met |', '|---|---|---:|---:|---:|:---:|'];
  for (const row of rows) {
    const gw = median(runs.gateway.map(row.pick));
    const base = runs.baseline.length > 0 ? median(runs.baseline.map(row.pick)) : Number.NaN;
    const baseText = Number.isNaN(base) ? 'n/a' : row.format(base);
    const ratio = row.ratio === false || Number.isNaN(base) || base === 0 ? '' : `${(gw / base).toFixed(2)}x`;
    const met = row.check === undefined ? '' : row.check(gw, base) ? 'yes' : 'NO';
    lines.push(`| ${row.label} | ${row.target} | ${row.format(gw)} | ${baseText} | ${ratio} | ${met} |`);
  }
  return lines;
}

/** Ack latency within the limit and within 1.5x of the baseline's (when there is one). */
const latencyCheck = (limitMs: number) => (gw: number, base: number): boolean =>
  gw <= limitMs && (Number.isNaN(base) || gw <= Math.max(base * 1.5, base + 0.5));

function runsTable(name: string, runs: ScenarioRuns): string[] {
  const lines = [
    `| ${name} run | server | acked msg/s | success | ack p50 | ack p95 | ack p99 | ack max | e2e p99 | send lag p99 |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const add = (server: string, reports: LoadTestReport[]): void => {
    reports.forEach((r, i) => {
      const e2e = r.delivery.latency.count > 0 ? fmtMs(r.delivery.latency.p99) : 'n/a';
      lines.push(`| ${i + 1} | ${server} | ${fmtInt(r.publish.throughput)} | ${fmtPct(r.publish.successRate)} | ${fmtMs(r.publish.ack.p50)} | ${fmtMs(r.publish.ack.p95)}`
        + ` | ${fmtMs(r.publish.ack.p99)} | ${fmtMs(r.publish.ack.max)} | ${e2e} | ${fmtMs(r.publish.sendLag.p99)} |`);
    });
  };
  add('gateway', runs.gateway);
  add('baseline', runs.baseline);
  return lines;
}

/** Says why end-to-end figures may be missing: connects or subscribes the gateway refused. */
function connectionNotes(runs: ScenarioRuns): string[] {
  const notes = runs.gateway.flatMap((r, i) => {
    const errors = Object.entries(r.connections.errors).map(([k, n]) => `${k} x${n}`).join(', ');
    return errors === '' ? [] : [`- Run ${i + 1}: ${r.connections.failed} of ${r.connections.attempted} connections failed (${errors}).`];
  });
  return notes.length === 0 ? [] : ['', 'Connection problems on the gateway (subscribers count as connections):', '', ...notes];
}

export function renderBenchmarks(ctx: BenchContext, seed: ScenarioRuns, saturation: ScenarioRuns, profiles: readonly BenchProfile[]): string {
  const s = ctx.seed;
  const out = [
    '# Benchmarks',
    '',
    `Written by \`${ctx.command}\` on ${ctx.date}; rerun it instead of editing this file. Every figure is the`,
    `median of ${seed.gateway.length} run(s). Gateway and baseline ran side by side in the same session: on a shared`,
    'machine only their ratio is stable, absolute figures move with whatever else the cores are doing.',
    '',
    '## Machine and setup',
    '',
    ...ctx.machine.map((m) => `- ${m}`),
    ...ctx.setup.map((m) => `- ${m}`),
    '',
    `## Seed scenario: ${s.clients} clients x ${s.rate} msg/s, ${s.durationS} s (open loop)`,
    '',
    `Publish latency is measured from each message's scheduled send time to its reply (corrected for coordinated`,
    `omission); the gateway replies once the message is appended to its Redis stream. End to end is scheduled`,
    `send time to receipt by a subscriber (${s.channels} channels x ${s.subscribers} subscriber(s)). The baseline`,
    'only appends and replies, so it has no end-to-end figure.',
    '',
    ...table(seed, [
      { label: 'Throughput (acked)', target: `${fmtInt(s.clients * s.rate)} msg/s offered`, pick: (r) => r.publish.throughput, format: (n) => `${fmtInt(n)} msg/s` },
      { label: 'Success rate', target: '100%', pick: (r) => r.publish.successRate, format: fmtPct, check: (gw) => gw >= 1, ratio: false },
      { label: 'Ack p50', target: '<= 2 ms, <= 1.5x baseline', pick: (r) => r.publish.ack.p50, format: fmtMs, check: latencyCheck(2) },
      { label: 'Ack p95', target: '<= 15 ms, <= 1.5x baseline', pick: (r) => r.publish.ack.p95, format: fmtMs, check: latencyCheck(15) },
      { label: 'Ack p99', target: '<= 30 ms, <= 1.5x baseline', pick: (r) => r.publish.ack.p99, format: fmtMs, check: latencyCheck(30) },
      { label: 'Ack p99.9', target: '', pick: (r) => r.publish.ack.p999, format: fmtMs },
      { label: 'Ack max', target: '', pick: (r) => r.publish.ack.max, format: fmtMs },
      { label: 'End to end p50', target: '', pick: (r) => r.delivery.latency.p50, format: fmtMs, ratio: false },
      {
        label: 'End to end p99', target: '<= 50 ms', pick: (r) => r.delivery.latency.p99, format: fmtMs, ratio: false,
        check: (gw) => gw <= 50 && seed.gateway.every((r) => r.delivery.latency.count > 0),
      },
      { label: 'Deliveries received', target: '100%', pick: (r) => r.delivery.ratio, format: fmtPct, ratio: false },
      { label: 'Generator send lag p99', target: 'small', pick: (r) => r.publish.sendLag.p99, format: fmtMs, ratio: false },
    ]),
    ...connectionNotes(seed),
    '',
    `## Saturation: ${ctx.saturation.clients} clients, ${ctx.saturation.window} publishes in flight each, ${ctx.saturation.durationS} s (closed loop)`,
    '',
    'Each client sends its next publish as soon as one is acknowledged: the throughput is what the server sustains.',
    '',
    ...table(saturation, [
      {
        label: 'Throughput (acked)', target: '>= 20,000 msg/s, >= 80% of baseline', pick: (r) => r.publish.throughput,
        format: (n) => `${fmtInt(n)} msg/s`, check: (gw, base) => gw >= 20_000 && (Number.isNaN(base) || gw >= 0.8 * base),
      },
      { label: 'Success rate', target: '100%', pick: (r) => r.publish.successRate, format: fmtPct, check: (gw) => gw >= 1, ratio: false },
      { label: 'Ack p50', target: '', pick: (r) => r.publish.ack.p50, format: fmtMs },
      { label: 'Ack p99', target: '', pick: (r) => r.publish.ack.p99, format: fmtMs },
    ]),
    '',
    '## Every run',
    '',
    ...runsTable('Seed', seed),
    '',
    ...runsTable('Saturation', saturation),
  ];
  for (const p of profiles) {
    out.push('', `## Where the gateway's time goes: ${p.label}`, '',
      `CPU profile (\`node --cpu-prof\`): busy ${fmtInt(p.busyMs)} ms of ${fmtInt(p.totalMs)} ms. Top functions by self time:`, '',
      '| Self time | Share of busy | Function |', '|---:|---:|---|',
      ...p.top.map((l) => `| ${fmtInt(l.ms)} ms | ${fmtPct(l.share)} | \`${l.name}\` |`));
  }
  out.push('', '## Reproduce', '', '```bash', ctx.command, '```', '',
    'Variables: `BENCH_DURATION` (seconds per seed run, default 60), `BENCH_SATURATION_DURATION` (default half of it),',
    '`BENCH_RUNS` (default 3), `BENCH_CLIENTS` (500), `BENCH_RATE` (20), `BENCH_WINDOW` (20), `BENCH_PROFILE=1`',
    '(CPU-profile the gateway and workers; profiles and logs are kept), `BENCH_WARMUP` (seconds of unmeasured load',
    'before each measured run, default 5), `BENCH_SCENARIOS` (`seed,saturation`), `BENCH_BASELINE=0` (skip the',
    'baseline), `BENCH_OUTPUT` (default docs/benchmarks.md), `BENCH_PUBLISH_MODE=handled` (the `chat:*` namespace in',
    '`publish_mode: "handled"`, so acks wait for the worker\'s handler; default `append`).', '');
  return out.join('\n');
}
