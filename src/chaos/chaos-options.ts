/**
 * Chaos-run settings from environment-style variables (`CHAOS_DURATION`, `CHAOS_RATE`,
 * `CHAOS_OUTPUT`): a pure function, all problems reported together.
 */

import { parseDuration } from '../config/index.js';

export interface ChaosOptions {
  /** CHAOS_DURATION: how long traffic and faults last (the final checks come after). Default 10m. */
  durationMs: number;
  /** CHAOS_RATE: acknowledged-publish target, messages a second over all publishers. Default 100. */
  rate: number;
  /** CHAOS_OUTPUT: where the JSON report is written. Default chaos-report.json. */
  output: string;
}

export class ChaosOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`chaos: ${problems.join('; ')}`);
  }
}

export function parseChaosOptions(env: Readonly<Record<string, string | undefined>>): ChaosOptions {
  const problems: string[] = [];
  const durationText = env.CHAOS_DURATION?.trim() || '10m';
  const durationMs = parseDuration(durationText);
  if (durationMs === null || durationMs < 20_000)
    problems.push(`CHAOS_DURATION: must be a duration of at least 20s (got ${JSON.stringify(durationText)})`);
  const rateText = env.CHAOS_RATE?.trim() || '100';
  const rate = /^\d+$/.test(rateText) ? Number(rateText) : Number.NaN;
  if (!(rate >= 1 && rate <= 100_000)) problems.push(`CHAOS_RATE: must be an integer from 1 to 100000 (got ${JSON.stringify(rateText)})`);
  if (problems.length > 0) throw new ChaosOptionsError(problems);
  return Object.freeze({ durationMs: durationMs as number, rate, output: env.CHAOS_OUTPUT?.trim() || 'chaos-report.json' });
}
