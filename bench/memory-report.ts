/**
 * The memory benchmark's report (`bin/bench-memory.ts`): per run and side the heap, RSS and idle
 * CPU per connection, their medians and issue 12's target (heap per idle subscribed connection
 * <= 1.5x the bare ws server's), and the Markdown section `npm run bench` writes.
 */

import { median } from './bench-report.js';

export type MemorySide = 'product' | 'bare';

/** One measured side of one run. */
export interface MemoryRun {
  run: number;
  side: MemorySide;
  /** Connections that were open and subscribed when measured. */
  connections: number;
  /** Heap used (after full collections) and RSS with the connections held, minus before, per connection, bytes. */
  heapPerConn: number;
  rssPerConn: number;
  /** Server CPU (utime + stime) over the idle window per connection, scaled to one minute, µs. */
  cpuUsPerConnMinute: number;
}

export interface MemoryMedians {
  connections: number;
  heapPerConn: number;
  rssPerConn: number;
  cpuUsPerConnMinute: number;
}

export interface MemoryBenchReport {
  kind: 'memory-per-connection';
  version: 1;
  date: string;
  command: string;
  machine: string[];
  settings: { connections: number; runs: number; idleSeconds: number; sources: number; openFilesLimit: number | null };
  runs: MemoryRun[];
  medians: Record<MemorySide, MemoryMedians | null>;
  target: { heapRatio: number; ratio: number | null; met: boolean | null };
}

/** Issue 12: heap per idle subscribed connection at most 1.5x the bare ws server's. */
export const MEMORY_TARGET = 1.5;

function mediansOf(runs: readonly MemoryRun[], side: MemorySide): MemoryMedians | null {
  const mine = runs.filter((r) => r.side === side);
  if (mine.length === 0) return null;
  const pick = (f: (r: MemoryRun) => number): number => median(mine.map(f));
  return {
    connections: pick((r) => r.connections),
    heapPerConn: pick((r) => r.heapPerConn),
    rssPerConn: pick((r) => r.rssPerConn),
    cpuUsPerConnMinute: pick((r) => r.cpuUsPerConnMinute),
  };
}

export function buildMemoryReport(
  meta: Pick<MemoryBenchReport, 'date' | 'command' | 'machine' | 'settings'>,
  runs: MemoryRun[],
): MemoryBenchReport {
  const product = mediansOf(runs, 'product');
  const bare = mediansOf(runs, 'bare');
  const ratio = product !== null && bare !== null && bare.heapPerConn > 0 ? product.heapPerConn / bare.heapPerConn : null;
  return {
    kind: 'memory-per-connection',
    version: 1,
    ...meta,
    runs,
    medians: { product, bare },
    target: { heapRatio: MEMORY_TARGET, ratio, met: ratio === null ? null : ratio <= MEMORY_TARGET },
  };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const us = (n: number): string => `${n.toFixed(1)} µs`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(report: MemoryBenchReport): string[] {
  const { product, bare } = report.medians;
  const all = (side: MemorySide, f: (r: MemoryRun) => number, format: (n: number) => string): string => {
    const values = report.runs.filter((r) => r.side === side).map(f);
    return values.length > 1 ? ` (${values.map(format).join(' / ')})` : '';
  };
  const rows: [string, (m: MemoryMedians) => number, (r: MemoryRun) => number, (n: number) => string, string][] = [
    ['connections held', (m) => m.connections, (r) => r.connections, int, ''],
    [
      'heap per idle subscribed connection',
      (m) => m.heapPerConn,
      (r) => r.heapPerConn,
      kb,
      report.target.met === null ? '' : `≤ ${MEMORY_TARGET}x: ${report.target.met ? 'met' : 'not met'}`,
    ],
    ['RSS per idle subscribed connection', (m) => m.rssPerConn, (r) => r.rssPerConn, kb, ''],
    [
      'CPU per idle connection per minute (pings, presence refresh)',
      (m) => m.cpuUsPerConnMinute,
      (r) => r.cpuUsPerConnMinute,
      us,
      'reported',
    ],
  ];
  const lines = [
    `| ${int(report.settings.connections)} idle connections, median of ${report.settings.runs} | gateway | bare ws | ratio | target |`,
    '|---|---:|---:|---:|---|',
  ];
  for (const [label, pick, each, format, target] of rows) {
    const g = product === null ? NaN : pick(product);
    const b = bare === null ? NaN : pick(bare);
    const ratio = Number.isFinite(g) && Number.isFinite(b) && b !== 0 ? (g / b).toFixed(2) : '';
    lines.push(
      `| ${label} | ${format(g)}${all('product', each, format)} | ${format(b)}${all('bare', each, format)} | ${ratio} | ${target} |`,
    );
  }
  return lines;
}

/** The Markdown section for docs/benchmarks.md. */
export function renderMemorySection(report: MemoryBenchReport): string {
  const s = report.settings;
  return [
    `## Memory and CPU per idle connection: ${int(s.connections)} connections`,
    '',
    `\`${report.command}\` on ${report.date}; medians of ${s.runs} run(s), both servers compiled and started fresh per run.`,
    `${int(s.connections)} idle JSON connections, each connected and subscribed to one of ${int(Math.max(1, Math.round(s.connections / 20)))} channels,`,
    `from ${s.sources} source addresses, held by one gateway process (Redis mode, \`chat:*\` with presence) and then by the`,
    "floor's bare ws server (`bench/baseline-server.ts`). Heap is `heapUsed` after full collections (`--expose-gc`) with",
    'the connections held minus before; CPU is the server process over',
    `${s.idleSeconds} s of idleness, scaled to a minute. Open-files limit of the processes: ${s.openFilesLimit ?? 'unknown'}.`,
    '',
    ...table(report),
    '',
    ...report.machine.map((m) => `- ${m}`),
    '',
  ].join('\n');
}

/** Lines for the terminal. */
export function memorySummary(report: MemoryBenchReport): string[] {
  const { product, bare } = report.medians;
  const line = (name: string, m: MemoryMedians | null): string =>
    m === null
      ? `${name}: not run`
      : `${name}: ${int(m.connections)} held, heap ${kb(m.heapPerConn)}, RSS ${kb(m.rssPerConn)}, CPU ${us(m.cpuUsPerConnMinute)}/min per connection`;
  const t = report.target;
  return [
    `medians of ${report.settings.runs} run(s)`,
    line('gateway', product),
    line('bare ws', bare),
    `heap per connection gateway / bare: ${t.ratio === null ? 'n/a' : `${t.ratio.toFixed(2)}x`} (target <= ${MEMORY_TARGET}x): ${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'}`,
  ];
}
