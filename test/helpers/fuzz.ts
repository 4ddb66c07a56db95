/**
 * fast-check settings for the fuzz properties: a short run inside `npm test`; with FUZZ_DURATION
 * (seconds, `npm run fuzz`) each property runs until that time is spent. FUZZ_SEED replays a run.
 */

import type { Parameters as FcParameters } from 'fast-check';

const duration = Number(process.env['FUZZ_DURATION'] ?? '0');

/** True for the long run (`npm run fuzz`). */
export const longFuzz = Number.isFinite(duration) && duration > 0;

/** Parameters for fc.assert: `shortRuns` in npm test, else as many runs as fit in FUZZ_DURATION / `share` (FUZZ_DURATION is the whole run; each file gives half of it to its properties). */
export function fuzzParameters<T>(shortRuns: number, share = 1): FcParameters<T> {
  const seed = process.env['FUZZ_SEED'];
  const base: FcParameters<T> = seed !== undefined ? { seed: Number(seed) } : {};
  if (!longFuzz) return { ...base, numRuns: shortRuns };
  return { ...base, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: (duration * 1000) / share, markInterruptAsFailure: false };
}
