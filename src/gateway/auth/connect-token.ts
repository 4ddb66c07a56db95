/** Connection token verification: a JWT (verified by jose) with Centrifugo's connection claims. */

import type { Bytes, ChannelName, UserId } from '../../protocol/index.js';
import { bytesClaim, checkLifetime, metaClaim, serverSideClaims, userIdClaim, type ServerSideSubscription } from './token-claims.js';
import { InvalidTokenError } from './token-errors.js';
import { TokenVerifier } from './token-verifier.js';
import { EMPTY_TOKEN_VERIFICATION } from '../../config/index.js';

/** What a verified connection token grants. */
export interface ConnectTokenClaims {
  /** `sub`; `''` (claim absent or empty) is the anonymous user. */
  user: UserId;
  /** When the connection expires, Unix ms (`expire_at`, else `exp`); null: never. May already be past (reply 110). */
  expireAtMs: number | null;
  /** ClientInfo `conn_info`: `b64info` decoded, else `info` as JSON text; null when absent. */
  info: Bytes | null;
  /** The names of the server-side subscriptions (`channels` and `subs`); empty when absent. */
  channels: readonly ChannelName[];
  /** Server-side subscriptions with their options (`channels` and `subs`). */
  subs: readonly ServerSideSubscription[];
  /** `meta` as JSON text (sent to proxies, never to clients); null when absent. */
  meta: Bytes | null;
}

/** A verifier, or an HMAC secret (tests and tools) meaning an HS256/384/512-only verifier. */
export type VerifierOrSecret = TokenVerifier | string;

export function verifierOf(v: VerifierOrSecret): TokenVerifier {
  return typeof v === 'string' ? new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, hmacSecretKey: v === '' ? null : v }) : v;
}

/**
 * Verifies a connection token at `nowMs`. Rejects with TokenExpiredError (reply 109),
 * InvalidTokenError (close 3500) or TokenKeysUnavailableError (JWKS down: temporary error); a
 * `channel` claim makes a connection token invalid.
 */
export async function verifyConnectToken(token: string, verifier: VerifierOrSecret, nowMs: number): Promise<ConnectTokenClaims> {
  const v = verifierOf(verifier);
  const claims = await v.verify(token, nowMs);
  const expireAtMs = checkLifetime(claims, nowMs);
  const channel = claims['channel'];
  if (channel !== undefined && channel !== null && channel !== '') throw new InvalidTokenError('channel claim in a connection token');
  const subs = serverSideClaims(claims);
  return {
    user: userIdClaim(claims, v.userIdClaim),
    expireAtMs,
    info: bytesClaim(claims, 'info', 'b64info'),
    channels: subs.map((s) => s.channel),
    subs,
    meta: metaClaim(claims),
  };
}
