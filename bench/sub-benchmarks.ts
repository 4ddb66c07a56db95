/**
 * The benchmarks `npm run bench` runs after its publish scenarios, each as its own script with
 * its own servers: `connect` (`bin/bench-connect.ts`, authenticated connects against a bare ws +
 * jose server), `fanout` (`bin/bench-fanout.ts`, delivery tail against a batched bare
 * broadcast) and `memory` (`bin/bench-memory.ts`, idle connections against a bare ws server). Each writes a JSON report; its Markdown section is appended to docs/benchmarks.md.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConnectRate, type ConnectBenchReport } from './connect-report.js';
import { renderFanoutSection, type FanoutReport } from './fanout-report.js';
import { renderMemorySection, type MemoryBenchReport } from './memory-report.js';

interface SubBenchmark {
  script: string;
  /** The script's variable naming its JSON report. */
  outputVar: string;
  /** Variables the main benchmark passes on (BENCH_RUNS as the script's own run count). */
  vars(runs: number): Record<string, string>;
  render(report: unknown): string;
}

const SUB_BENCHMARKS: Record<string, SubBenchmark> = {
  connect: {
    script: 'bin/bench-connect.ts',
    outputVar: 'CONNECT_BENCH_OUTPUT',
    vars: (runs) => ({ CONNECT_BENCH_RUNS: String(runs) }),
    render: (r) => renderConnectRate(r as ConnectBenchReport),
  },
  fanout: {
    script: 'bin/bench-fanout.ts',
    outputVar: 'FANOUT_OUTPUT',
    vars: (runs) => ({ FANOUT_RUNS: String(runs) }),
    render: (r) => renderFanoutSection(r as FanoutReport),
  },
  memory: {
    script: 'bin/bench-memory.ts',
    outputVar: 'MEMORY_OUTPUT',
    vars: (runs) => ({ MEMORY_RUNS: String(runs) }),
    render: (r) => renderMemorySection(r as MemoryBenchReport),
  },
};

/** The names `BENCH_SCENARIOS` may hold for these benchmarks. */
export const SUB_BENCHMARK_NAMES = Object.keys(SUB_BENCHMARKS);

/** Runs each selected benchmark in turn (stderr and stdout to the terminal); returns their Markdown sections. */
export async function runSubBenchmarks(selected: ReadonlySet<string>, runs: number, work: string): Promise<string[]> {
  const sections: string[] = [];
  for (const [name, bench] of Object.entries(SUB_BENCHMARKS)) {
    if (!selected.has(name)) continue;
    const output = join(work, `${name}.json`);
    const proc = spawn(process.execPath, ['--import', 'tsx', bench.script], {
      env: { ...process.env, ...bench.vars(runs), [bench.outputVar]: output },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    if (code !== 0 || !existsSync(output)) throw new Error(`${bench.script} exited with ${code}`);
    sections.push(bench.render(JSON.parse(readFileSync(output, 'utf8'))));
  }
  return sections;
}
