/** The IPC messages between a gateway group's primary and its processes (node:cluster channel). */

/** A process's readiness as its `/ready` reports it. */
export interface MemberReadiness {
  ready: boolean;
  checks?: unknown;
}

/** Primary → process. */
export type PrimaryMessage = { rm: 'group'; up: number; of: number } | { rm: 'readiness?'; id: number } | { rm: 'metrics?'; id: number };

/** Process → primary. */
export type MemberMessage =
  | { rm: 'started' }
  | { rm: 'readiness'; id: number; report: MemberReadiness }
  /** `registry.getMetricsAsJSON()` of the process, for the primary's aggregation. */
  | { rm: 'metrics'; id: number; metrics: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isObject(value) && (value['rm'] === 'group' || value['rm'] === 'readiness?' || value['rm'] === 'metrics?');
}

export function isMemberMessage(value: unknown): value is MemberMessage {
  return isObject(value) && (value['rm'] === 'started' || value['rm'] === 'readiness' || value['rm'] === 'metrics');
}
