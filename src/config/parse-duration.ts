/**
 * Duration parser for configuration values: `500ms`, `30s`, `5m`, `1h`, Go-style compounds
 * such as `1m30s`, decimals such as `1.5s`, and the bare `0`. A number without a unit is
 * rejected (is `30` seconds or milliseconds?), so a missing unit cannot pass silently.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Largest delay `setTimeout` honours; longer durations would fire immediately. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Milliseconds (rounded), or null when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '0') return 0;
  if (!WHOLE.test(s)) return null;
  let total = 0;
  for (const m of s.matchAll(PART)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}
