// The benchmark's measuring tools: /proc CPU of a process tree and of reaped children, and the
// report's per-message CPU and product/floor summary.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import type { LoadTestReport } from '../../src/loadtest/index.js';
import { renderBenchmarks, summaryTable, type ScenarioRuns } from '../../bench/bench-report.js';
import { CpuWindow, processTree } from '../../bench/proc-cpu.js';

// Spins until it used `ms` of CPU (not wall time: the machine may be loaded).
const spin = (ms: number): string => `while (process.cpuUsage().user < ${ms * 1000});`;

function report(throughput: number, ackP99: number): LoadTestReport {
  const lat = { count: 10, mean: 1, p50: 1, p90: 1, p95: 1, p99: ackP99, p999: ackP99, max: ackP99, min: 0 };
  return {
    startedAt: '',
    options: {},
    environment: { node: '', platform: '', cpus: 2, cpuModel: '', host: '', loadAverage: [] },
    connections: { attempted: 1, ok: 1, failed: 0, errors: {}, time: lat },
    publish: {
      scheduled: 100,
      sent: 100,
      acked: 100,
      failed: 0,
      errors: {},
      successRate: 1,
      offeredRate: 0,
      throughput,
      ack: lat,
      sendLag: lat,
    },
    delivery: { expected: 0, received: 0, ratio: 1, throughput: 0, latency: lat, foreign: 0 },
    disconnects: {},
    windowSeconds: 1,
    passed: true,
  };
}

void describe('bench /proc CPU', { skip: process.platform !== 'linux' }, () => {
  void it("counts a busy child in its parent's tree, and a reaped child once it exited", async () => {
    const parent = spawn(process.execPath, [
      '-e',
      `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(spin(3000))}], { stdio: 'inherit' }).on('exit', () => setTimeout(() => {}, 2000))`,
    ]);
    const deadline = Date.now() + 10_000;
    while (processTree(parent.pid ?? 0).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(processTree(parent.pid ?? 0).length >= 2, 'the grandchild is in the tree');
    const window = new CpuWindow(new Map([['tree', parent.pid ?? 0]]));
    window.start();
    await new Promise((r) => setTimeout(r, 400));
    const mid = window.stop();
    assert.ok((mid['tree'] ?? 0) >= 20_000, `the spinning grandchild's CPU counts (${mid['tree']} µs)`);
    const reaped = new CpuWindow(new Map());
    reaped.start();
    const child = spawn(process.execPath, ['-e', spin(300)]);
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok((reaped.stop()['reaped'] ?? 0) > 100_000, "a reaped child's CPU shows");
    for (const pid of processTree(parent.pid ?? 0).reverse()) process.kill(pid, 'SIGKILL');
  });
});

void describe('bench report', () => {
  const runs: ScenarioRuns = {
    gateway: [report(900, 3), report(1000, 3), report(1100, 3)],
    baseline: [report(1000, 2), report(1000, 2), report(1000, 2)],
    gatewayCpu: [1, 2, 3].map(() => ({
      messages: 100,
      us: { gateway: 3000, 'worker 0': 1000, 'worker 1': 1000, redis: 1000, 'load generator': 9000 },
    })),
    baselineCpu: [1, 2, 3].map(() => ({
      messages: 100,
      us: { gateway: 2000, 'worker 0': 500, 'worker 1': 500, redis: 1000, 'load generator': 9000 },
    })),
  };

  void it('reports whole-system CPU per message (gateway + workers + Redis, not the load generator) against the floor', () => {
    const summary = summaryTable({ gateway: [], baseline: [] }, runs, { gateway: [], baseline: [] }).join('\n');
    assert.match(summary, /\| saturation \| acked msg\/s \| 1,000 \| 1,000 \| 1\.00 \|/);
    assert.match(summary, /\| saturation \| CPU µs\/msg \(whole system\) \| 60\.0 µs \| 40\.0 µs \| 1\.50 \|/);
  });

  void it('marks the seed tail target: p99 within 1.5x of the floor and no run above 2x', () => {
    const md = renderBenchmarks(
      {
        date: 'd',
        machine: [],
        setup: [],
        command: 'npm run bench',
        seed: { clients: 1, rate: 1, durationS: 1, channels: 1, subscribers: 1 },
        saturation: { clients: 1, window: 1, durationS: 1 },
      },
      runs,
      runs,
      [],
    );
    assert.match(md, /\| Ack p99 \| <= 1\.5x floor, no run > 2x \| 3\.00 ms \| 2\.00 ms \| 1\.50x \| yes \|/);
    assert.match(md, /\| Throughput \(acked\) \| >= 0\.9x floor \| 1,000 msg\/s \| 1,000 msg\/s \| 1\.00x \| yes \|/);
    assert.match(
      md,
      /\| \*\*whole system\*\* \(gateway \+ workers \+ Redis\) \| <= 1\.2x floor \| 60\.0 µs \| 40\.0 µs \| 1\.50x \| NO \|/,
    );
  });
});
