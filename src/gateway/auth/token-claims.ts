/** Claim readers shared by connection and subscription tokens (Centrifugo claim semantics). */

import type { JwtClaims } from './hs256.js';
import { InvalidTokenError, TokenExpiredError } from './token-errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const encoder = new TextEncoder();

function numericClaim(claims: JwtClaims, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidTokenError(`invalid "${name}" claim`);
  return v;
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
