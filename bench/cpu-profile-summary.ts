/** Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and lists where the time went, by function self time. */

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

/** `node_modules/ws/lib/sender.js` -> `ws/lib/sender.js`; project files relative to the working directory. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

/** Top `limit` functions by self time; `share` is of the busy (non-idle) time. */
export function summarizeCpuProfile(path: string, limit = 15): { busyMs: number; totalMs: number; top: ProfileLine[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) return;
    if (frame.functionName === '(idle)') {
      idleUs += dt;
      return;
    }
    const file = frame.url === '' ? '' : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${file}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  });
  const busyUs = totalUs - idleUs;
  const top = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return { busyMs: busyUs / 1000, totalMs: totalUs / 1000, top };
}
