// `npm run chaos` for 60 s: the real command (bin/chaos.ts) with its own redis-server, gateways and
// workers on free ports, every fault kind once or more; it must exit 0 and its JSON report must show
// the checks held over real traffic.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const chaosScript = fileURLToPath(new URL('../../bin/chaos.ts', import.meta.url));

interface ChaosReport {
  acked: number;
  lost: number;
  orderViolations: number;
  silentGaps: number;
  duplicateDeliveries: number;
  handlings: number;
  deliveries: number;
  takeovers: number;
  takeoverP99Ms: number | null;
  faults: Record<string, number>;
  broken: string[];
}

void it(
  'runs 60 s of chaos (worker, gateway and Redis faults, a worker joining and one retired) with every guarantee held',
  { timeout: 240_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-chaos-test-'));
    const output = join(dir, 'report.json');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', chaosScript], {
        env: { ...process.env, CHAOS_DURATION: '60s', CHAOS_RATE: '100', CHAOS_OUTPUT: output },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      t.diagnostic(
        stdout
          .split('\n')
          .filter((l) => l.startsWith('  '))
          .join('\n'),
      );
      const report = JSON.parse(readFileSync(output, 'utf8')) as ChaosReport;
      assert.deepEqual(report.broken, []);
      assert.equal(code, 0);
      assert.ok(report.acked > 1000, `acknowledged ${report.acked}`);
      assert.equal(report.lost, 0);
      assert.equal(report.orderViolations, 0);
      assert.equal(report.silentGaps, 0);
      assert.equal(report.duplicateDeliveries, 0);
      assert.ok(report.handlings >= report.acked);
      assert.ok(report.deliveries >= report.acked, 'every publication reached its two subscribers');
      assert.ok(report.takeovers >= 3, `takeovers measured: ${report.takeovers}`);
      for (const kind of ['worker-kill', 'gateway-kill', 'worker-join', 'worker-retire', 'redis-restart', 'redis-pause']) {
        assert.ok((report.faults[kind] ?? 0) >= 1, `fault ${kind} injected`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
