/** Turns the benchmark's load-test reports (gateway and baseline, several runs) into docs/benchmarks.md. */

import type { LoadTestReport } from '../src/loadtest/index.js';
import type { ProfileLine } from './cpu-profile-summary.js';
import type { CommandStats } from './redis-commandstats.js';

export interface BenchContext {
  date: string;
  machine: string[];
  setup: string[];
  seed: { clients: number; rate: number; durationS: number; channels: number; subscribers: number };
  saturation: { clients: number; window: number; durationS: number };
  command: string;
}

/** CPU of one measured run: µs per process (or process tree) by name, and the messages acknowledged. */
export interface CpuRun {
  messages: number;
  us: Record<string, number>;
  /** Redis `INFO commandstats` over the run (reset before it): calls and µs per command. */
  redisCommands?: CommandStats;
}

/** Product ("gateway") and floor ("baseline") runs of one scenario, with their CPU when measured. */
export interface ScenarioRuns {
  gateway: LoadTestReport[];
  baseline: LoadTestReport[];
  gatewayCpu?: CpuRun[];
  baselineCpu?: CpuRun[];
}

/** The server-side processes whose sum is "whole system" (the load generator is reported apart). */
const SYSTEM = (name: string): boolean => name === 'gateway' || name === 'redis' || name.startsWith('worker');

function perMessage(run: CpuRun, pick: (name: string) => boolean): number {
  if (run.messages === 0) return Number.NaN;
  let us = 0;
  for (const [name, v] of Object.entries(run.us)) if (pick(name)) us += v;
  return us / run.messages;
}

const fmtUs = (n: number): string => (Number.isNaN(n) ? 'n/a' : `${n.toFixed(1)} µs`);

/** Whole-system CPU per message (median over runs): product, floor. */
function systemCpu(runs: ScenarioRuns): [number, number] {
  const m = (cpu: CpuRun[] | undefined): number =>
    cpu === undefined || cpu.length === 0 ? Number.NaN : median(cpu.map((r) => perMessage(r, SYSTEM)));
  return [m(runs.gatewayCpu), m(runs.baselineCpu)];
}

/** CPU µs per acknowledged message, per process and whole system, product against floor. */
function cpuTable(runs: ScenarioRuns, target: string): string[] {
  const product = runs.gatewayCpu ?? [];
  const floor = runs.baselineCpu ?? [];
  if (product.length === 0) return [];
  const names = [...new Set([...product, ...floor].flatMap((r) => Object.keys(r.us)))].sort(
    (a, b) => order(a) - order(b) || a.localeCompare(b),
  );
  const lines = ['| CPU per message | Target | Product | Floor | Product / floor | Met |', '|---|---|---:|---:|---:|:---:|'];
  const row = (label: string, pick: (name: string) => boolean, rowTarget: string, check: boolean): void => {
    const gw = median(product.map((r) => perMessage(r, pick)));
    const base = floor.length === 0 ? Number.NaN : median(floor.map((r) => perMessage(r, pick)));
    const ratio = Number.isNaN(base) || base === 0 ? '' : `${(gw / base).toFixed(2)}x`;
    const met = !check || Number.isNaN(base) ? '' : gw <= 1.2 * base ? 'yes' : 'NO';
    lines.push(`| ${label} | ${rowTarget} | ${fmtUs(gw)} | ${fmtUs(base)} | ${ratio} | ${met} |`);
  };
  for (const name of names) row(name, (n) => n === name, '', false);
  row('**whole system** (gateway + workers + Redis)', SYSTEM, target, true);
  return lines;
}

/**
 * Redis work per acknowledged message, by command (from `INFO commandstats`, median over runs),
 * product against floor: where the Redis side of the CPU table comes from.
 */
function redisTable(runs: ScenarioRuns): string[] {
  const product = (runs.gatewayCpu ?? []).filter((r) => r.redisCommands !== undefined);
  const floor = (runs.baselineCpu ?? []).filter((r) => r.redisCommands !== undefined);
  if (product.length === 0) return [];
  const per = (list: CpuRun[], command: string, field: 'calls' | 'usec'): number =>
    list.length === 0 ? Number.NaN : median(list.map((r) => (r.redisCommands?.[command]?.[field] ?? 0) / Math.max(1, r.messages)));
  const commands = [...new Set([...product, ...floor].flatMap((r) => Object.keys(r.redisCommands ?? {})))]
    .map((c) => ({ c, usec: Math.max(per(product, c, 'usec'), Number.isNaN(per(floor, c, 'usec')) ? 0 : per(floor, c, 'usec')) }))
    .filter((x) => x.usec >= 0.05)
    .sort((a, b) => b.usec - a.usec)
    .map((x) => x.c);
  const num = (n: number, digits: number): string => (Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
  const lines = [
    '| Redis command (INFO commandstats) | calls / msg, product | floor | µs / msg, product | floor |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const c of commands) {
    lines.push(
      `| \`${c}\` | ${num(per(product, c, 'calls'), 3)} | ${num(per(floor, c, 'calls'), 3)} | ${num(per(product, c, 'usec'), 2)} | ${num(per(floor, c, 'usec'), 2)} |`,
    );
  }
  lines.push('', 'µs are the command time Redis itself counts (not its event loop, socket reads and writes, or replies).');
  return lines;
}

function order(name: string): number {
  return name === 'gateway' ? 0 : name.startsWith('worker') ? 1 : name === 'redis' ? 2 : 3;
}

export interface BenchProfile {
  label: string;
  busyMs: number;
  totalMs: number;
  top: ProfileLine[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => (n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
const fmtPct = (n: number): string => `${(n * 100).toFixed(2)}%`;

type Pick = (r: LoadTestReport) => number;

interface Row {
  label: string;
  target: string;
  pick: Pick;
  format: (n: number) => string;
  check?: (gw: number, base: number) => boolean;
  ratio?: boolean;
}

function table(runs: ScenarioRuns, rows: readonly Row[]): string[] {
  const lines = ['| Metric | Target | Product | Floor | Product / floor | Met |', '|---|---|---:|---:|---:|:---:|'];
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

/** Seed ack p99 within 1.5x of the floor's median, and no single run above 2x of it. */
const tailCheck =
  (runs: ScenarioRuns) =>
  (gw: number, base: number): boolean =>
    !Number.isNaN(base) && gw <= 1.5 * base && runs.gateway.every((r) => r.publish.ack.p99 <= 2 * base);

function runsTable(name: string, runs: ScenarioRuns): string[] {
  const lines = [
    `| ${name} run | server | acked msg/s | success | ack p50 | ack p95 | ack p99 | ack max | e2e p99 | send lag p99 |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const add = (server: string, reports: LoadTestReport[]): void => {
    reports.forEach((r, i) => {
      const e2e = r.delivery.latency.count > 0 ? fmtMs(r.delivery.latency.p99) : 'n/a';
      lines.push(
        `| ${i + 1} | ${server} | ${fmtInt(r.publish.throughput)} | ${fmtPct(r.publish.successRate)} | ${fmtMs(r.publish.ack.p50)} | ${fmtMs(r.publish.ack.p95)}` +
          ` | ${fmtMs(r.publish.ack.p99)} | ${fmtMs(r.publish.ack.max)} | ${e2e} | ${fmtMs(r.publish.sendLag.p99)} |`,
      );
    });
  };
  add('product', runs.gateway);
  add('floor', runs.baseline);
  return lines;
}

/** Says why end-to-end figures may be missing: connects or subscribes the gateway refused. */
function connectionNotes(runs: ScenarioRuns): string[] {
  const notes = runs.gateway.flatMap((r, i) => {
    const errors = Object.entries(r.connections.errors)
      .map(([k, n]) => `${k} x${n}`)
      .join(', ');
    return errors === '' ? [] : [`- Run ${i + 1}: ${r.connections.failed} of ${r.connections.attempted} connections failed (${errors}).`];
  });
  return notes.length === 0 ? [] : ['', 'Connection problems on the gateway (subscribers count as connections):', '', ...notes];
}

/** The printed summary: the headline figures of each scenario, product against floor. */
export function summaryTable(seed: ScenarioRuns, saturation: ScenarioRuns, saturation2: ScenarioRuns): string[] {
  const lines = ['| scenario | figure | product | floor | ratio |', '|---|---|---:|---:|---:|'];
  const add = (scenario: string, label: string, gw: number, base: number, format: (n: number) => string): void => {
    const ratio = Number.isNaN(base) || base === 0 || Number.isNaN(gw) ? '' : (gw / base).toFixed(2);
    lines.push(
      `| ${scenario} | ${label} | ${Number.isNaN(gw) ? 'n/a' : format(gw)} | ${Number.isNaN(base) ? 'n/a' : format(base)} | ${ratio} |`,
    );
  };
  const med = (reports: LoadTestReport[], pick: Pick): number => (reports.length === 0 ? Number.NaN : median(reports.map(pick)));
  const both = (name: string, label: string, runs: ScenarioRuns, pick: Pick, format: (n: number) => string): void =>
    add(name, label, med(runs.gateway, pick), med(runs.baseline, pick), format);
  if (saturation.gateway.length > 0) {
    both('saturation', 'acked msg/s', saturation, (r) => r.publish.throughput, fmtInt);
    add('saturation', 'CPU µs/msg (whole system)', ...systemCpu(saturation), fmtUs);
  }
  if (saturation2.gateway.length > 0) {
    add(
      'saturation, 2 gateway processes',
      'acked msg/s',
      med(saturation2.gateway, (r) => r.publish.throughput),
      med(saturation.baseline, (r) => r.publish.throughput),
      fmtInt,
    );
    add('saturation, 2 gateway processes', 'CPU µs/msg (whole system)', systemCpu(saturation2)[0], systemCpu(saturation)[1], fmtUs);
  }
  if (seed.gateway.length > 0) {
    both('seed', 'ack p50', seed, (r) => r.publish.ack.p50, fmtMs);
    both('seed', 'ack p99', seed, (r) => r.publish.ack.p99, fmtMs);
    both('seed', 'end-to-end p99', seed, (r) => r.delivery.latency.p99, fmtMs);
    add('seed', 'CPU µs/msg (whole system)', ...systemCpu(seed), fmtUs);
  }
  return lines;
}

export function renderBenchmarks(
  ctx: BenchContext,
  seed: ScenarioRuns,
  saturation: ScenarioRuns,
  profiles: readonly BenchProfile[],
  saturation2: ScenarioRuns = { gateway: [], baseline: [] },
): string {
  const s = ctx.seed;
  const out = [
    '# Benchmarks',
    '',
    `Written by \`${ctx.command}\` on ${ctx.date}; rerun it instead of editing this file. Every figure is the`,
    `median of ${Math.max(seed.gateway.length, saturation.gateway.length)} run(s). The product (gateway + workers) and the floor (the bare full loop) ran side by side in the`,
    'same session: on a shared machine only their ratio is stable, absolute figures move with whatever else the cores are doing.',
    '',
    '## Summary',
    '',
    ...summaryTable(seed, saturation, saturation2),
    '',
    '## Machine and setup',
    '',
    ...ctx.machine.map((m) => `- ${m}`),
    ...ctx.setup.map((m) => `- ${m}`),
    '',
    `## Seed scenario: ${s.clients} clients x ${s.rate} msg/s, ${s.durationS} s (open loop)`,
    '',
    `Publish latency is measured from each message's scheduled send time to its reply (corrected for coordinated`,
    `omission); both sides reply once the message is appended to a worker's Redis stream. End to end is scheduled`,
    `send time to receipt by a subscriber (${s.channels} channels x ${s.subscribers} subscriber(s)), through a worker and Redis pub/sub on both sides.`,
    '',
    ...table(seed, [
      {
        label: 'Throughput (acked)',
        target: `${fmtInt(s.clients * s.rate)} msg/s offered`,
        pick: (r) => r.publish.throughput,
        format: (n) => `${fmtInt(n)} msg/s`,
      },
      { label: 'Success rate', target: '100%', pick: (r) => r.publish.successRate, format: fmtPct, check: (gw) => gw >= 1, ratio: false },
      { label: 'Ack p50', target: '', pick: (r) => r.publish.ack.p50, format: fmtMs },
      { label: 'Ack p95', target: '', pick: (r) => r.publish.ack.p95, format: fmtMs },
      { label: 'Ack p99', target: '<= 1.5x floor, no run > 2x', pick: (r) => r.publish.ack.p99, format: fmtMs, check: tailCheck(seed) },
      { label: 'Ack p99.9', target: '', pick: (r) => r.publish.ack.p999, format: fmtMs },
      { label: 'Ack max', target: '', pick: (r) => r.publish.ack.max, format: fmtMs },
      { label: 'End to end p50', target: '', pick: (r) => r.delivery.latency.p50, format: fmtMs },
      { label: 'End to end p99', target: 'reported', pick: (r) => r.delivery.latency.p99, format: fmtMs },
      { label: 'Deliveries received', target: '100%', pick: (r) => r.delivery.ratio, format: fmtPct, ratio: false },
      { label: 'Generator send lag p99', target: 'small', pick: (r) => r.publish.sendLag.p99, format: fmtMs, ratio: false },
    ]),
    ...connectionNotes(seed),
    '',
    ...cpuTable(seed, '<= 1.2x floor'),
    '',
    ...redisTable(seed),
    '',
    `## Saturation: ${ctx.saturation.clients} clients, ${ctx.saturation.window} publishes in flight each, ${ctx.saturation.durationS} s (closed loop)`,
    '',
    'Each client sends its next publish as soon as one is acknowledged: the throughput is what the server sustains.',
    '',
    ...table(saturation, [
      {
        label: 'Throughput (acked)',
        target: '>= 0.9x floor',
        pick: (r) => r.publish.throughput,
        format: (n) => `${fmtInt(n)} msg/s`,
        check: (gw, base) => !Number.isNaN(base) && gw >= 0.9 * base,
      },
      { label: 'Success rate', target: '100%', pick: (r) => r.publish.successRate, format: fmtPct, check: (gw) => gw >= 1, ratio: false },
      { label: 'Ack p50', target: '', pick: (r) => r.publish.ack.p50, format: fmtMs },
      { label: 'Ack p99', target: '', pick: (r) => r.publish.ack.p99, format: fmtMs },
    ]),
    '',
    ...cpuTable(saturation, '<= 1.2x floor'),
    '',
    ...redisTable(saturation),
    '',
    ...(saturation2.gateway.length === 0
      ? []
      : [
          `## Saturation with GATEWAY_PROCESSES=2 (same load; against the floor's saturation runs above)`,
          '',
          ...table({ ...saturation2, baseline: saturation.baseline }, [
            { label: 'Throughput (acked)', target: 'reported', pick: (r) => r.publish.throughput, format: (n) => `${fmtInt(n)} msg/s` },
            {
              label: 'Success rate',
              target: '100%',
              pick: (r) => r.publish.successRate,
              format: fmtPct,
              check: (gw) => gw >= 1,
              ratio: false,
            },
            { label: 'Ack p99', target: '', pick: (r) => r.publish.ack.p99, format: fmtMs },
          ]),
          '',
          ...cpuTable({ ...saturation2, baselineCpu: saturation.baselineCpu ?? [] }, 'reported'),
          '',
        ]),
    '## Every run',
    '',
    ...runsTable('Seed', seed),
    '',
    ...runsTable('Saturation', saturation),
    ...(saturation2.gateway.length === 0 ? [] : ['', ...runsTable('Saturation (2 gateway processes)', { ...saturation2, baseline: [] })]),
  ];
  for (const p of profiles) {
    out.push(
      '',
      `## Where the gateway's time goes: ${p.label}`,
      '',
      `CPU profile (\`node --cpu-prof\`): busy ${fmtInt(p.busyMs)} ms of ${fmtInt(p.totalMs)} ms. Top functions by self time:`,
      '',
      '| Self time | Share of busy | Function |',
      '|---:|---:|---|',
      ...p.top.map((l) => `| ${fmtInt(l.ms)} ms | ${fmtPct(l.share)} | \`${l.name}\` |`),
    );
  }
  out.push(
    '',
    '## Reproduce',
    '',
    '```bash',
    ctx.command,
    '```',
    '',
    'Variables: `BENCH_DURATION` (seconds per seed run, default 60), `BENCH_SATURATION_DURATION` (default half of it),',
    '`BENCH_RUNS` (default 3), `BENCH_CLIENTS` (500), `BENCH_RATE` (20), `BENCH_WINDOW` (publishes in flight per client at saturation, 1), `BENCH_PROFILE=1`',
    '(CPU-profile the gateway and workers; profiles and logs are kept), `BENCH_WARMUP` (seconds of unmeasured load',
    'before each measured run, default 5), `BENCH_SCENARIOS` (`seed,saturation,saturation-2p,connect,fanout,memory`; `connect`, `fanout` and `memory` run `bin/bench-connect.ts`, `bin/bench-fanout.ts` and `bin/bench-memory.ts` and append their sections), `BENCH_BASELINE=0` (skip the',
    'floor), `BENCH_OUTPUT` (default docs/benchmarks.md), `BENCH_PUBLISH_MODE=handled` (the `chat:*` namespace in',
    '`publish_mode: "handled"`, so acks wait for the worker\'s handler; default `append`).',
    'Each part also runs alone: `npm run bench:connect`, `npm run bench:fanout`, `npm run bench:memory` (their variables: docs/loadtest.md).',
    '',
  );
  return out.join('\n');
}
