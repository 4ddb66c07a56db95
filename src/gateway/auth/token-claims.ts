/** Claim readers shared by connection and subscription tokens (Centrifugo claim semantics). */

import type { JwtClaims } from './token-verifier.js';
import { InvalidTokenError, TokenExpiredError } from './token-errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const encoder = new TextEncoder();

/** Latest time claim accepted, Unix seconds: 9999-12-31T23:59:59Z. Later ones (`exp: 1e300`) make the token invalid. */
export const MAX_TIME_CLAIM_SECONDS = 253_402_300_799;
/** Longest user id (`sub`) accepted, UTF-8 bytes (Centrifugo's default channel.max_length, so `user:<id>` can fit). */
export const MAX_USER_ID_BYTES = 255;
// Control, format (zero-width, bidi overrides, BOM), line/paragraph separators, lone surrogates
// and U+FFFD: a user id must read the same in logs, presence lists and `user:<id>` channels.
const USER_ID_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\uFFFD]/u;

function numericClaim(claims: JwtClaims, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TIME_CLAIM_SECONDS)
    throw new InvalidTokenError(`invalid "${name}" claim`);
  return v;
}

/**
 * The user id claim (`sub`, or `client.token.user_id_claim`) under the user-id policy: at most
 * {@link MAX_USER_ID_BYTES} bytes, no invisible or control characters; `''` when absent.
 */
export function userIdClaim(claims: JwtClaims, name = 'sub'): string {
  const user = stringClaim(claims, name, '');
  if (Buffer.byteLength(user, 'utf8') > MAX_USER_ID_BYTES || USER_ID_FORBIDDEN.test(user))
    throw new InvalidTokenError(`invalid "${name}" claim`);
  return user;
}

/**
 * Checks `exp` (must be in the future) and `nbf` (must not be) against `nowMs`; Centrifugo
 * treats both failures as an expired token. Returns the expiry to apply, Unix ms or null
 * (never): `expire_at` when present (0 = never), otherwise `exp`.
 */
export function checkLifetime(claims: JwtClaims, nowMs: number): number | null {
  const exp = numericClaim(claims, 'exp');
  const nbf = numericClaim(claims, 'nbf');
  const expireAt = numericClaim(claims, 'expire_at');
  if (exp !== undefined && exp * 1000 <= nowMs) throw new TokenExpiredError();
  if (nbf !== undefined && nbf * 1000 > nowMs) throw new TokenExpiredError();
  if (expireAt !== undefined) return expireAt === 0 ? null : Math.floor(expireAt * 1000);
  return exp === undefined ? null : Math.floor(exp * 1000);
}

/** A string claim; `fallback` when absent. */
export function stringClaim(claims: JwtClaims, name: string, fallback: string): string {
  const v = claims[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw new InvalidTokenError(`invalid "${name}" claim`);
  return v;
}

/**
 * Bytes from a raw-JSON claim (`info`, `data`: its JSON text) or its base64 twin (`b64info`,
 * `b64data`: standard padded base64, which wins when both are present); null when absent.
 */
export function bytesClaim(claims: JwtClaims, jsonName: string, b64Name: string): Uint8Array | null {
  const b64 = claims[b64Name];
  if (b64 !== undefined && b64 !== null) {
    if (typeof b64 !== 'string' || b64.length % 4 !== 0 || !BASE64.test(b64)) throw new InvalidTokenError(`invalid "${b64Name}" claim`);
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.toString('base64') !== b64) throw new InvalidTokenError(`invalid "${b64Name}" claim`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const raw = claims[jsonName];
  if (raw === undefined || raw === null) return null;
  return encoder.encode(JSON.stringify(raw));
}

/** An array-of-strings claim; empty when absent. */
export function stringArrayClaim(claims: JwtClaims, name: string): readonly string[] {
  const v = claims[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string')) throw new InvalidTokenError(`invalid "${name}" claim`);
  return v;
}

/** Namespace options a token may override for one subscription (Centrifugo's `override` claim). */
export interface SubscriptionOverride {
  presence?: boolean;
  joinLeave?: boolean;
  forcePushJoinLeave?: boolean;
  forceRecovery?: boolean;
  forcePositioning?: boolean;
}

const OVERRIDE_FIELDS = {
  presence: 'presence',
  join_leave: 'joinLeave',
  force_push_join_leave: 'forcePushJoinLeave',
  force_recovery: 'forceRecovery',
  force_positioning: 'forcePositioning',
} as const;

function objectClaim(claims: JwtClaims, name: string): JwtClaims | null {
  const v = claims[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidTokenError(`invalid "${name}" claim`);
  return v as JwtClaims;
}

/** `override`: `{"presence": {"value": true}, …}`; unknown members are ignored, as Centrifugo does. */
export function overrideClaim(claims: JwtClaims, name = 'override'): SubscriptionOverride | null {
  const o = objectClaim(claims, name);
  if (o === null) return null;
  const out: SubscriptionOverride = {};
  for (const [key, field] of Object.entries(OVERRIDE_FIELDS)) {
    const wrapped = o[key];
    if (wrapped === undefined || wrapped === null) continue;
    const value = typeof wrapped === 'object' ? (wrapped as JwtClaims)['value'] : undefined;
    if (typeof value !== 'boolean') throw new InvalidTokenError(`invalid "${name}.${key}" claim`);
    out[field] = value;
  }
  return out;
}

/** One server-side subscription a token (or connect proxy) asks for. */
export interface ServerSideSubscription {
  channel: string;
  /** ClientInfo `chan_info`. */
  info: Uint8Array | null;
  /** SubscribeResult `data`. */
  data: Uint8Array | null;
  override: SubscriptionOverride | null;
}

/**
 * `channels` (names) and `subs` (`{channel: {info, b64info, data, b64data, override}}`) as one
 * list; a channel in both takes its `subs` options.
 */
export function serverSideClaims(claims: JwtClaims): ServerSideSubscription[] {
  const byChannel = new Map<string, ServerSideSubscription>();
  for (const channel of stringArrayClaim(claims, 'channels')) byChannel.set(channel, { channel, info: null, data: null, override: null });
  const subs = objectClaim(claims, 'subs');
  for (const [channel, value] of Object.entries(subs ?? {})) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidTokenError('invalid "subs" claim');
    const opts = value as JwtClaims;
    byChannel.set(channel, {
      channel,
      info: bytesClaim(opts, 'info', 'b64info'),
      data: bytesClaim(opts, 'data', 'b64data'),
      override: overrideClaim(opts),
    });
  }
  return [...byChannel.values()];
}

/** `meta`: any JSON object, kept as its JSON text for proxies; null when absent. */
export function metaClaim(claims: JwtClaims): Uint8Array | null {
  const meta = objectClaim(claims, 'meta');
  return meta === null ? null : encoder.encode(JSON.stringify(meta));
}
