/**
 * Strict HS256 JWT signing and verification on node:crypto: exactly three canonical base64url
 * segments, a header whose `alg` is HS256 (nothing else is accepted, `none` included), a
 * constant-time signature check before the payload is parsed, and a JSON-object payload.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidTokenError } from './token-errors.js';

/** Longer tokens are rejected before any work is done. */
export const MAX_TOKEN_LENGTH = 8192;

export type JwtClaims = Record<string, unknown>;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_BYTES = 32;
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Signs `claims` as an HS256 JWT (for tests, the load test and demos; real tokens come from the app backend). */
export function signToken(claims: JwtClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signingInput = `${HEADER}.${payload}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** Decodes a canonical base64url segment (no padding, no stray bits), or null. */
function decodeSegment(segment: string): Buffer | null {
  if (!BASE64URL.test(segment)) return null;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : null;
}

function parseJsonObject(bytes: Buffer): JwtClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtClaims) : null;
}

/** Verifies the token's form and signature and returns its payload; claims are not checked here. */
export function verifyHs256(token: string, secret: string): JwtClaims {
  if (typeof token !== 'string' || token.length === 0) throw new InvalidTokenError('empty token');
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('token too long');
  if (secret.length === 0) throw new InvalidTokenError('no token secret configured');
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.includes('.', second + 1)) throw new InvalidTokenError('malformed token');

  const headerBytes = decodeSegment(token.slice(0, first));
  const header = headerBytes === null ? null : parseJsonObject(headerBytes);
  if (header === null) throw new InvalidTokenError('malformed header');
  if (header['alg'] !== 'HS256') throw new InvalidTokenError('unsupported algorithm');
  const typ = header['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) throw new InvalidTokenError('unsupported token type');
  if (header['crit'] !== undefined) throw new InvalidTokenError('critical header parameters not supported');

  const signature = decodeSegment(token.slice(second + 1));
  if (signature === null || signature.length !== SIGNATURE_BYTES) throw new InvalidTokenError('malformed signature');
  const expected = createHmac('sha256', secret).update(token.slice(0, second)).digest();
  if (!timingSafeEqual(signature, expected)) throw new InvalidTokenError('bad signature');

  const payloadBytes = decodeSegment(token.slice(first + 1, second));
  const payload = payloadBytes === null ? null : parseJsonObject(payloadBytes);
  if (payload === null) throw new InvalidTokenError('payload is not a JSON object');
  return payload;
}
