/** Subscription token verification: a JWT (verified by jose) with Centrifugo's subscription claims. */

import type { Bytes, ChannelName, ClientId, UserId } from '../../protocol/index.js';
import { verifierOf, type VerifierOrSecret } from './connect-token.js';
import { bytesClaim, checkLifetime, overrideClaim, stringClaim, userIdClaim, type SubscriptionOverride } from './token-claims.js';
import { InvalidTokenError, TokenMismatchError } from './token-errors.js';

/** What a verified subscription token grants. */
export interface SubscribeTokenClaims {
  channel: ChannelName;
  /** `sub`; `''` for an anonymous connection. */
  user: UserId;
  /** Only this connection may use the token; null: any connection of `user`. */
  client: ClientId | null;
  /** When the subscription expires, Unix ms (`expire_at`, else `exp`); null: never. May already be past (reply 110). */
  expireAtMs: number | null;
  /** ClientInfo `chan_info`: `b64info` decoded, else `info` as JSON text; null when absent. */
  info: Bytes | null;
  /** SubscribeResult `data`: `b64data` decoded, else `data` as JSON text; null when absent. */
  data: Bytes | null;
  /** Namespace options overridden for this subscription (`override`); null when absent. */
  override: SubscriptionOverride | null;
}

/** The subscription the token is presented for. */
export interface SubscribeTokenExpectation {
  channel: ChannelName;
  /** The connection's user (`''` when anonymous). */
  user: UserId;
  /** The connection's client id. */
  client: ClientId;
}

/**
 * Verifies a subscription token at `nowMs`. Rejects with TokenExpiredError (reply 109),
 * InvalidTokenError (reply 103) or, when `expect` is given and the token was issued for
 * another channel, user or client, TokenMismatchError (close 3500).
 */
export async function verifySubscribeToken(
  token: string,
  verifier: VerifierOrSecret,
  nowMs: number,
  expect?: SubscribeTokenExpectation,
): Promise<SubscribeTokenClaims> {
  const v = verifierOf(verifier);
  const claims = await v.verify(token, nowMs);
  const expireAtMs = checkLifetime(claims, nowMs);
  const channel = stringClaim(claims, 'channel', '');
  if (channel === '') throw new InvalidTokenError('missing channel claim');
  const client = stringClaim(claims, 'client', '');
  const result: SubscribeTokenClaims = {
    channel,
    user: userIdClaim(claims, v.userIdClaim),
    client: client === '' ? null : client,
    expireAtMs,
    info: bytesClaim(claims, 'info', 'b64info'),
    data: bytesClaim(claims, 'data', 'b64data'),
    override: overrideClaim(claims),
  };
  if (expect !== undefined) {
    if (result.channel !== expect.channel) throw new TokenMismatchError('channel mismatch');
    if (result.user !== expect.user) throw new TokenMismatchError('user mismatch');
    if (result.client !== null && result.client !== expect.client) throw new TokenMismatchError('client mismatch');
  }
  return result;
}
