/**
 * Gateway readiness: whether a load balancer should send this gateway new clients, and if not,
 * which check failed (Redis unreachable, no worker registered, shutting down).
 */

import type { Logger } from 'pino';

/** What readiness looks at besides the gateway's own state. */
export interface ReadinessChecks {
  /** True while every Redis connection is usable; null: embedded mode, no Redis to check. */
  redis: (() => boolean) | null;
  /** Number of registered workers; a rejection counts as 0 (the registry is unreachable). */
  workers: () => Promise<number>;
  /** A gateway group's processes that are up, of how many; omitted: a gateway alone. */
  processes?: () => { up: number; of: number };
}

export interface ReadinessReport {
  ready: boolean;
  checks: {
    redis: 'ok' | 'unreachable' | 'skipped';
    workers: number;
    shuttingDown: boolean;
    /** Present in a gateway group: its processes that are up, of how many (ready needs all). */
    processes?: { up: number; of: number };
    /** Present (true) while the gateway is still starting (waiting for Redis). */
    starting?: boolean;
  };
}

/** How long a worker count is reused, so frequent probes do not each cost a Redis round trip. */
const WORKERS_CACHE_MS = 500;

export class Readiness {
  private lastReady: boolean | null = null;
  private workersAt = 0;
  private workers: Promise<number> | null = null;

  constructor(
    private readonly checks: ReadinessChecks | null,
    private readonly logger: Logger,
  ) {}

  /** The current report; logs when readiness changes (warn when it turns false). */
  async report(state: { starting: boolean; shuttingDown: boolean }): Promise<ReadinessReport> {
    const checks = this.checks;
    let redis: ReadinessReport['checks']['redis'] = 'skipped';
    let workers = 1;
    if (checks !== null) {
      if (checks.redis !== null) redis = checks.redis() ? 'ok' : 'unreachable';
      workers = redis === 'unreachable' ? 0 : await this.workerCount(checks);
    }
    const processes = checks?.processes?.() ?? null;
    const ready =
      !state.starting &&
      !state.shuttingDown &&
      redis !== 'unreachable' &&
      workers > 0 &&
      (processes === null || processes.up >= processes.of);
    const report: ReadinessReport = { ready, checks: { redis, workers, shuttingDown: state.shuttingDown } };
    if (processes !== null) report.checks.processes = processes;
    if (state.starting) report.checks.starting = true;
    if (this.lastReady !== ready) {
      if (ready) this.logger.info({ checks: report.checks }, 'gateway ready');
      else if (this.lastReady !== null) this.logger.warn({ checks: report.checks }, 'gateway not ready');
      this.lastReady = ready;
    }
    return report;
  }

  private workerCount(checks: ReadinessChecks): Promise<number> {
    const now = Date.now();
    if (this.workers === null || now - this.workersAt > WORKERS_CACHE_MS) {
      this.workersAt = now;
      this.workers = checks.workers().catch(() => 0);
    }
    return this.workers;
  }
}
