/** What the gateway gives client sessions besides their transport: the token verifiers and the headers forwarded to backend proxies. */

import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/index.js';
import { JwksCache, TokenVerifier } from './auth/index.js';
import type { GatewayContext } from './gateway-context.js';

/** The connection and subscription token verifiers (one verifier when both are configured alike), sharing one JWKS cache. */
export function tokenVerifiers(config: Config): GatewayContext['tokens'] {
  const jwks = new JwksCache();
  const connection = new TokenVerifier(config.tokens.connection, jwks);
  const subscription =
    config.tokens.subscription === config.tokens.connection ? connection : new TokenVerifier(config.tokens.subscription, jwks);
  return { connection, subscription };
}

/** Shared by every connection whose request has none of the forwarded headers (most, when no proxy is set). */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The request headers some proxy forwards (multi-valued ones joined as Node joins them). */
export function forwardedHeaders(req: IncomingMessage, names: ReadonlySet<string>): Readonly<Record<string, string>> {
  let out: Record<string, string> | null = null;
  for (const name of names) {
    const v = req.headers[name];
    if (v !== undefined) (out ??= {})[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out ?? NO_HEADERS;
}
