// The end of a chaos run (bin/chaos.ts): the settle phase, the report from the checks, the broken guarantees and the printed summary.

import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkPipeline,
  quantile,
  type ChaosOptions,
  type ChaosPublisher,
  type ChaosSubscriber,
  type HandledLog,
  type HandledReader,
} from '../src/chaos/index.js';

/** One fault as it happened, relative to the start of traffic. */
export interface TimelineEntry {
  atMs: number;
  kind: string;
  target: string;
  note?: string;
}

/** The clients and handling records the checks read. */
interface RunClients {
  publishers: ChaosPublisher[];
  subscribers: ChaosSubscriber[];
  handled: HandledLog;
  reader: HandledReader;
}

type PipelineCheck = ReturnType<typeof checkPipeline>;

/** Settle: every acknowledged message handled (or 60 s), then every subscriber at its channels' tops (or 30 s). */
export async function settle(clients: RunClients, channels: string[]): Promise<{ pipeline: PipelineCheck; tailGaps: number }> {
  const { publishers, subscribers, handled, reader } = clients;
  const settleUntil = Date.now() + 60_000;
  let pipeline = checkPipeline(publishers, handled);
  while (pipeline.lost > 0 && Date.now() < settleUntil) {
    await sleep(500);
    await reader.readOnce().catch(() => 0);
    pipeline = checkPipeline(publishers, handled);
  }
  let tailGaps = 0;
  const subscriberUntil = Date.now() + 30_000;
  for (const s of subscribers) {
    for (const channel of channels.filter((_, c) => c % 2 === Number(s.id.slice(1)) % 2)) {
      for (;;) {
        const top = await s.top(channel);
        const pos = s.check.position(channel);
        if (top !== null && pos.offset === top.offset) break;
        if (Date.now() > subscriberUntil) {
          tailGaps++;
          s.check.examples.push(`${channel}: ended at ${pos.offset ?? 'none'}, top ${top?.offset ?? '?'}`);
          break;
        }
        await sleep(200);
      }
    }
  }
  return { pipeline, tailGaps };
}

/** The checks' results of a run, as written to CHAOS_OUTPUT (with `broken`). */
export function buildReport(run: {
  options: ChaosOptions;
  trafficMs: number;
  pipeline: PipelineCheck;
  tailGaps: number;
  traffic: Omit<RunClients, 'reader'>;
  timeline: TimelineEntry[];
  takeoverNotObserved: number;
}) {
  const { options, trafficMs, pipeline, tailGaps, timeline, takeoverNotObserved } = run;
  const { publishers, subscribers, handled } = run.traffic;
  const subs = subscribers.map(({ id, check: c }) => ({
    id,
    delivered: c.delivered,
    duplicates: c.duplicates,
    silentGaps: c.silentGaps,
    recoveredTrue: c.recoveredTrue,
    recoveredFalse: c.recoveredFalse,
    unsubscribes: c.unsubscribes,
    unpositioned: c.unpositioned,
    examples: c.examples,
  }));
  const sum = (f: (s: (typeof subs)[number]) => number): number => subs.reduce((n, s) => n + f(s), 0);
  const takeoverP50 = quantile(handled.takeoverMs, 0.5);
  const takeoverP99 = quantile(handled.takeoverMs, 0.99);
  return {
    durationMs: trafficMs,
    rateTarget: options.rate,
    redis: { appendonly: true, appendfsync: 'always' },
    acked: pipeline.acked,
    publishFailed: publishers.reduce((n, p) => n + p.failed, 0),
    ackedPerSecond: Math.round(pipeline.acked / (trafficMs / 1000)),
    lost: pipeline.lost,
    lostExamples: pipeline.lostExamples,
    orderViolations: pipeline.orderViolations,
    orderViolationExamples: pipeline.violations,
    handlings: handled.records,
    duplicateHandlings: handled.duplicates,
    handlingsPerWorker: Object.fromEntries(handled.perWorker),
    deliveries: sum((s) => s.delivered),
    duplicateDeliveries: sum((s) => s.duplicates),
    silentGaps: sum((s) => s.silentGaps) + tailGaps,
    recoveredTrue: sum((s) => s.recoveredTrue),
    recoveredFalse: sum((s) => s.recoveredFalse),
    subscriberExamples: subs.flatMap((s) => s.examples.map((e) => `${s.id} ${e}`)).slice(0, 20),
    takeovers: handled.takeoverMs.length,
    takeoverNotObserved,
    takeoverP50Ms: takeoverP50,
    takeoverP99Ms: takeoverP99,
    takeoverMaxMs: handled.takeoverMs.length === 0 ? null : Math.max(...handled.takeoverMs),
    faults: timeline.reduce<Record<string, number>>((m, f) => ({ ...m, [f.kind]: (m[f.kind] ?? 0) + 1 }), {}),
    timeline,
  };
}

export type ChaosReport = ReturnType<typeof buildReport>;

/** Each guarantee the run broke, in words; empty when all held. */
export function brokenGuarantees(report: ChaosReport): string[] {
  return [
    report.lost > 0 && `${report.lost} acknowledged messages never handled`,
    report.orderViolations > 0 && `${report.orderViolations} first handlings out of acknowledgement order`,
    report.silentGaps > 0 && `${report.silentGaps} silent gaps at subscribers`,
    report.duplicateDeliveries > 0 && `${report.duplicateDeliveries} publications delivered twice to a subscriber`,
    report.acked === 0 && 'nothing was acknowledged',
  ].filter((b): b is string => typeof b === 'string');
}

/** The summary on stdout. */
export function printReport(report: ChaosReport, broken: string[], options: ChaosOptions): void {
  const lines = [
    '',
    `chaos run: ${(report.durationMs / 1000).toFixed(0)} s, target ${options.rate} msg/s, Redis AOF appendfsync always`,
    `  acknowledged   ${report.acked} (${report.ackedPerSecond}/s), ${report.publishFailed} publishes failed (not acknowledged, not counted)`,
    `  lost           ${report.lost}`,
    `  order          ${report.orderViolations} violations (first handlings vs acknowledgement order, per publisher and channel)`,
    `  handlings      ${report.handlings}, of them ${report.duplicateHandlings} duplicates (redelivered)`,
    `  subscribers    ${report.deliveries} deliveries, ${report.duplicateDeliveries} duplicates, ${report.silentGaps} silent gaps, recovered true ${report.recoveredTrue} / false ${report.recoveredFalse}`,
    `  takeover       ${report.takeovers} measured, p50 ${report.takeoverP50Ms ?? '-'} ms, p99 ${report.takeoverP99Ms ?? '-'} ms, max ${report.takeoverMaxMs ?? '-'} ms, ${report.takeoverNotObserved} not seen within 10 s`,
    `  faults         ${Object.entries(report.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    broken.length === 0 ? '  result         every guarantee held' : `  BROKEN         ${broken.join('; ')}`,
    `  report         ${resolve(options.output)}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
