/**
 * The connect-rate benchmark's report (`npm run bench:connect`, CONNECT_BENCH_OUTPUT): product
 * (the gateway) and bare (`bench/baseline-connect.ts`) runs per scenario, their medians with the
 * ratio against issue 12's "connects ≥ 0.9 of bare" target, the console summary, and the Markdown
 * section `npm run bench` can include.
 */

import type { ConnectRateResult } from '../src/loadtest/index.js';

/** The target of issue 12: product connects/s at least this fraction of the bare server's. */
export const CONNECT_TARGET = 0.9;

export type ConnectSide = 'product' | 'bare';

/** One measured scenario run on one side, with the server's CPU over it. */
export interface ConnectRun extends ConnectRateResult {
  side: ConnectSide;
  /** 1-based. */
  run: number;
  /** utime + stime of the server process (with its descendants) from the first connect to the last close, µs; null without /proc. */
  serverCpuUs: number | null;
  /** serverCpuUs / connected; null when not measured or nothing connected. */
  cpuUsPerConnect: number | null;
  /** CPU of the benchmark process itself (the clients) over the run, µs. */
  clientCpuUs: number;
}

/** Medians over the runs of one side of one scenario; failures and attempts are summed. */
export interface ConnectSideMedians {
  connectsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerConnect: number | null;
  failures: number;
  attempted: number;
}

export interface ConnectScenarioMedians {
  scenario: string;
  product: ConnectSideMedians;
  bare: ConnectSideMedians | null;
  /** Product connects/s over bare connects/s (medians); null without bare runs. */
  ratio: number | null;
  /** Product CPU µs per connect over bare's; null when either is unknown. */
  cpuRatio: number | null;
  meetsTarget: boolean | null;
}

/** The CONNECT_BENCH_OUTPUT JSON. `results` (the product's runs) keeps its name from before the bare side. */
export interface ConnectBenchReport {
  date: string;
  command: string;
  machine: string[];
  connections: number;
  concurrency: number;
  runs: number;
  target: number;
  results: ConnectRun[];
  bare: ConnectRun[];
  medians: ConnectScenarioMedians[];
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sideMedians(runs: readonly ConnectRun[]): ConnectSideMedians {
  const cpu = runs.flatMap((r) => (r.cpuUsPerConnect === null ? [] : [r.cpuUsPerConnect]));
  return {
    connectsPerSecond: median(runs.map((r) => r.connectsPerSecond)),
    p50Ms: median(runs.map((r) => r.latency.p50)),
    p99Ms: median(runs.map((r) => r.latency.p99)),
    cpuUsPerConnect: cpu.length === runs.length && cpu.length > 0 ? median(cpu) : null,
    failures: runs.reduce((n, r) => n + (r.attempted - r.connected), 0),
    attempted: runs.reduce((n, r) => n + r.attempted, 0),
  };
}

/** Medians per scenario, in the order the scenarios first appear among the product's runs. */
export function connectMedians(
  product: readonly ConnectRun[],
  bare: readonly ConnectRun[],
  target = CONNECT_TARGET,
): ConnectScenarioMedians[] {
  const scenarios = [...new Set(product.map((r) => r.label))];
  return scenarios.map((scenario) => {
    const p = sideMedians(product.filter((r) => r.label === scenario));
    const bareRuns = bare.filter((r) => r.label === scenario);
    const b = bareRuns.length === 0 ? null : sideMedians(bareRuns);
    const ratio = b === null || !(b.connectsPerSecond > 0) ? null : p.connectsPerSecond / b.connectsPerSecond;
    const cpuRatio = b === null || b.cpuUsPerConnect === null || p.cpuUsPerConnect === null ? null : p.cpuUsPerConnect / b.cpuUsPerConnect;
    return { scenario, product: p, bare: b, ratio, cpuRatio, meetsTarget: ratio === null ? null : ratio >= target };
  });
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number): string => (!Number.isFinite(n) ? 'n/a' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const us = (n: number | null): string => (n === null || !Number.isFinite(n) ? 'n/a' : n.toFixed(0));
const ratioText = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(2));
const verdict = (m: ConnectScenarioMedians, target: number): string =>
  m.meetsTarget === null ? '' : m.meetsTarget ? ` (≥ ${target}: met)` : ` (< ${target}: not met)`;

/** One line of one run, for the console. */
export function connectRunLine(r: ConnectRun): string {
  return (
    `${r.label} ${r.side} run ${r.run}: ${r.connected}/${r.attempted} connected, ${r.connectsPerSecond.toFixed(0)} connects/s, ` +
    `p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, CPU ${us(r.cpuUsPerConnect)} µs/connect, ` +
    `failures ${JSON.stringify(r.failures)}`
  );
}

/** The console summary: per scenario, product against bare. */
export function connectSummary(report: ConnectBenchReport): string[] {
  const lines = [`medians of ${report.runs} run(s) x ${report.connections} connects, ${report.concurrency} in flight:`];
  for (const m of report.medians) {
    const side = (name: string, s: ConnectSideMedians): string =>
      `  ${name.padEnd(7)} ${int(s.connectsPerSecond).padStart(7)} connects/s, p50 ${ms(s.p50Ms)} ms, p99 ${ms(s.p99Ms)} ms, ` +
      `CPU ${us(s.cpuUsPerConnect)} µs/connect, failures ${s.failures} of ${s.attempted}`;
    lines.push(`${m.scenario}:`, side('product', m.product));
    if (m.bare !== null) lines.push(side('bare', m.bare));
    lines.push(
      `  ratio product/bare: connects/s ${ratioText(m.ratio)}${verdict(m, report.target)}, CPU per connect ${ratioText(m.cpuRatio)}`,
    );
  }
  return lines;
}

/** Connects/s of every run of one side, in run order, for the table's notes. */
function perRun(runs: readonly ConnectRun[], scenario: string): string {
  return runs
    .filter((r) => r.label === scenario)
    .sort((a, b) => a.run - b.run)
    .map((r) => int(r.connectsPerSecond))
    .join(' / ');
}

/**
 * The "## Connect rate" section of docs/benchmarks.md from a CONNECT_BENCH_OUTPUT report: one row
 * per scenario with both sides' medians and the ratio against the target, then the per-run figures.
 */
export function renderConnectRate(report: ConnectBenchReport): string {
  const t = report.target;
  const out = [
    '## Connect rate',
    '',
    `\`${report.command}\`, ${report.date}. ${report.machine.join('; ')}.`,
    '',
    `Each client opens a WebSocket, sends one JSON \`connect\` with its own token and closes after the reply; ` +
      `${report.concurrency} connects in flight, ${report.connections.toLocaleString('en-US')} per scenario and run, ` +
      `${report.runs} run(s), the order of scenarios and sides alternating. Product: the gateway compiled ` +
      '(`node dist/bin/gateway.js`, embedded mode). Bare: `bench/baseline-connect.ts` (ws, jose with the same keys, ' +
      'a ConnectResult; no channels, presence, limits or metrics). Both get the same tokens. CPU: utime + stime of the ' +
      'server process from /proc, from the first connect until every connection is closed, per successful connect. Figures are medians of the runs; failures are summed.',
    '',
    `| scenario | product connects/s | bare connects/s | ratio (target ≥ ${t}) | p50 / p99 product | p50 / p99 bare | CPU µs/connect product | CPU µs/connect bare | failures product / bare |`,
    '|---|---:|---:|---:|---|---|---:|---:|---|',
  ];
  for (const m of report.medians) {
    const b = m.bare;
    const mark = m.meetsTarget === null ? '' : m.meetsTarget ? ' ✓' : ' ✗';
    out.push(
      `| ${m.scenario} | ${int(m.product.connectsPerSecond)} | ${b === null ? 'n/a' : int(b.connectsPerSecond)} | ${ratioText(m.ratio)}${mark} | ` +
        `${ms(m.product.p50Ms)} / ${ms(m.product.p99Ms)} ms | ${b === null ? 'n/a' : `${ms(b.p50Ms)} / ${ms(b.p99Ms)} ms`} | ` +
        `${us(m.product.cpuUsPerConnect)} | ${b === null ? 'n/a' : us(b.cpuUsPerConnect)} | ` +
        `${m.product.failures} of ${m.product.attempted.toLocaleString('en-US')} / ${b === null ? 'n/a' : `${b.failures} of ${b.attempted.toLocaleString('en-US')}`} |`,
    );
  }
  out.push('', 'Connects/s per run (run order):', '');
  for (const m of report.medians) {
    out.push(`- ${m.scenario}: product ${perRun(report.results, m.scenario)}; bare ${perRun(report.bare, m.scenario) || 'n/a'}`);
  }
  return `${out.join('\n')}\n`;
}
