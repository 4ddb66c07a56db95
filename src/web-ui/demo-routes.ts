/**
 * The chat demo's two endpoints: `GET /demo/config` tells the page how to authenticate, and, only
 * when CHAT_DEMO_TOKENS is on (development), `POST /demo/token` signs a one-hour connection token
 * for whatever name the page sends. Anyone who can reach that endpoint can act as any user: it
 * stands in for the app backend that would issue tokens after its own login.
 */

import type { Logger } from 'pino';
import type { HttpRouteHandler } from '../gateway/index.js';
import { signToken } from '../gateway/index.js';
import { HttpProblem, pathOf, readJsonObject, sendJson } from './http-json.js';

/** How the demo page connects. */
export type DemoAuth = 'anonymous' | 'dev-tokens' | 'token-required';

export interface DemoRoutesOptions {
  /** HMAC secret of connection tokens; null: anonymous connections. */
  tokenSecret: string | null;
  /** CHAT_DEMO_TOKENS: sign tokens for the page. */
  devTokens: boolean;
  logger: Logger;
  /**
   * Channel of a room's typing and name signals, `{room}` standing for the room; omitted:
   * `chat:{room}:signals` (a sibling channel in the chat namespace).
   */
  signalsChannel?: string;
  /** Lifetime of a signed token, seconds; omitted: 3600. */
  tokenTtlSeconds?: number;
}

/** Names the demo accepts as user ids: what a person types, nothing that reads as a separator. */
const NAME = /^[\p{L}\p{N} _.-]{1,32}$/u;

export const DEFAULT_SIGNALS_CHANNEL = 'chat:{room}:signals';

export function demoAuth(options: Pick<DemoRoutesOptions, 'tokenSecret' | 'devTokens'>): DemoAuth {
  if (options.tokenSecret === null) return 'anonymous';
  return options.devTokens ? 'dev-tokens' : 'token-required';
}

export function createDemoRoutes(options: DemoRoutesOptions): HttpRouteHandler {
  const auth = demoAuth(options);
  const ttl = options.tokenTtlSeconds ?? 3600;
  if (auth === 'dev-tokens') {
    options.logger.warn('CHAT_DEMO_TOKENS is on: POST /demo/token signs a connection token for any name; development only');
  }
  return async (req, res) => {
    const path = pathOf(req);
    if (path === '/demo/config' && req.method === 'GET') {
      sendJson(res, 200, { auth, signals: options.signalsChannel ?? DEFAULT_SIGNALS_CHANNEL });
      return true;
    }
    if (path !== '/demo/token') return false;
    if (auth !== 'dev-tokens') {
      sendJson(res, 404, { error: 'the demo token endpoint is off (set CHAT_DEMO_TOKENS=true, for development only)' });
      return true;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
      return true;
    }
    try {
      const { body } = await readJsonObject(req);
      const name = typeof body['name'] === 'string' ? body['name'].trim() : '';
      if (!NAME.test(name)) throw new HttpProblem(400, 'name must be 1 to 32 letters, digits, spaces, "_", "." or "-"');
      const now = Math.floor(Date.now() / 1000);
      const token = signToken({ sub: name, iat: now, exp: now + ttl, info: { name } }, options.tokenSecret ?? '');
      sendJson(res, 200, { token, user: name, expiresAt: (now + ttl) * 1000 });
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err;
      sendJson(res, err.status, { error: err.message });
    }
    return true;
  };
}
