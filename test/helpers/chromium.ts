/**
 * Launches Debian's Chromium headless through playwright-core for browser tests: no download of a
 * browser of its own, no background networking, a fresh profile per launch.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where the browser is looked for; `CHROMIUM_PATH` overrides it (a test-only variable). */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium quiet on a machine without outside network. */
const quietFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** Whether Chromium is installed here (`.ci/run` installs it with apt when missing). */
export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
}

export interface LaunchedBrowser {
  context: BrowserContext;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh user-data dir; `viewport` defaults to a desktop size. */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<LaunchedBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'rm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: quietFlags,
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
