/**
 * HS256 signing for tests, the load tester and demos (real tokens come from the app backend).
 * Synchronous on purpose so callers can build tokens inline; verification is jose's
 * (token-verifier.ts), never this file's.
 */

import { createHmac } from 'node:crypto';
import type { JwtClaims } from './token-verifier.js';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Signs `claims` as an HS256 JWT with `secret`. */
export function signToken(claims: JwtClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signingInput = `${HEADER}.${payload}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}
