/** Connection token verification: HS256 JWT with Centrifugo's connection claims. */

import type { Bytes, ChannelName, UserId } from '../../protocol/index.js';
import { verifyHs256 } from './hs256.js';
import { bytesClaim, checkLifetime, stringArrayClaim, userIdClaim } from './token-claims.js';
import { InvalidTokenError } from './token-errors.js';

/** What a verified connection token grants. */
export interface ConnectTokenClaims {
  /** `sub`; `''` (claim absent or empty) is the anonymous user. */
  user: UserId;
  /** When the connection expires, Unix ms (`expire_at`, else `exp`); null: never. May already be past (reply 110). */
  expireAtMs: number | null;
  /** ClientInfo `conn_info`: `b64info` decoded, else `info` as JSON text; null when absent. */
  info: Bytes | null;
  /** Server-side subscriptions requested by the token; empty when absent. */
  channels: readonly ChannelName[];
}

/**
 * Verifies a connection token at `nowMs`. Throws TokenExpiredError (reply 109) or
 * InvalidTokenError (close 3500); a `channel` claim makes a connection token invalid.
 */
export function verifyConnectToken(token: string, secret: string, nowMs: number): ConnectTokenClaims {
  const claims = verifyHs256(token, secret);
  const expireAtMs = checkLifetime(claims, nowMs);
  const channel = claims['channel'];
  if (channel !== undefined && channel !== null && channel !== '') throw new InvalidTokenError('channel claim in a connection token');
  return {
    user: userIdClaim(claims),
    expireAtMs,
    info: bytesClaim(claims, 'info', 'b64info'),
    channels: stringArrayClaim(claims, 'channels'),
  };
}
