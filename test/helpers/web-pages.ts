/**
 * Pieces of the browser tests: the built pages must exist (`npm run build:web`, which `npm test`
 * runs first), gateways spawned on chosen ports (to restart one on the same address), and
 * screenshots into docs/screenshots when UPDATE_SCREENSHOTS=1 (a test-only variable).
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { spawnTs, type TsProcess } from './gateway.js';
import { freePort } from './redis-server.js';

const built = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));

/** Throws with what to run when the pages are not built. */
export function requireWebBuild(): void {
  if (!existsSync(built)) throw new Error('dist/web is missing: run `npm run build:web` (npm test does) before the browser tests');
}

export interface GatewayPorts {
  ws: number;
  http: number;
  metrics: number;
}

export async function freeGatewayPorts(): Promise<GatewayPorts> {
  return { ws: await freePort(), http: await freePort(), metrics: await freePort() };
}

/** Spawns bin/gateway.ts on `ports` and resolves once it listens. */
export async function spawnGatewayOn(ports: GatewayPorts, env: Record<string, string>): Promise<TsProcess> {
  const gw = spawnTs('bin/gateway.ts', {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    WEBSOCKET_PORT: String(ports.ws),
    HTTP_PORT: String(ports.http),
    METRICS_PORT: String(ports.metrics),
    ...env,
  });
  await Promise.race([
    gw.waitForLine(/gateway listening/, 60_000),
    gw.exited.then((code) => {
      throw new Error(`gateway exited with ${code}:\n${gw.lines.join('\n')}`);
    }),
  ]);
  return gw;
}

/** Saves a screenshot as docs/screenshots/<name>.png when UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['UPDATE_SCREENSHOTS'] !== '1') return;
  await page.screenshot({ path: fileURLToPath(new URL(`../../docs/screenshots/${name}.png`, import.meta.url)), animations: 'disabled' });
}
