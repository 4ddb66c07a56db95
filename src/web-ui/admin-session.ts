/**
 * Admin UI sessions: the password check and the session cookie, an HS256 JWT signed with
 * ADMIN_SECRET (or a random key per start), HttpOnly and SameSite=Strict on `/admin`.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EMPTY_TOKEN_VERIFICATION } from '../config/index.js';
import { signToken, TokenVerifier } from '../gateway/index.js';

export const SESSION_COOKIE = 'rm_admin';

export interface AdminSessionOptions {
  password: string;
  /** null: a random key, so sessions end when the process does. */
  secret: string | null;
  /** Session lifetime, ms; omitted: 8 hours. */
  ttlMs?: number;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class AdminSessions {
  private readonly passwordDigest: Buffer;
  private readonly secret: string;
  private readonly ttlMs: number;

  constructor(options: AdminSessionOptions) {
    this.passwordDigest = digest(options.password);
    this.secret = options.secret ?? randomBytes(32).toString('base64url');
    this.ttlMs = options.ttlMs ?? 8 * 3600_000;
  }

  /** Compares digests, so the time taken says nothing about the password. */
  passwordMatches(presented: string): boolean {
    return timingSafeEqual(digest(presented), this.passwordDigest);
  }

  /** A `Set-Cookie` value for a new session. */
  issueCookie(): string {
    const now = Math.floor(Date.now() / 1000);
    const token = signToken({ sub: 'admin', iat: now, exp: now + Math.floor(this.ttlMs / 1000) }, this.secret);
    return `${SESSION_COOKIE}=${token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(this.ttlMs / 1000)}`;
  }

  /** A `Set-Cookie` value that ends the session in the browser. */
  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** True when the request carries an unexpired session signed with this key (verified by jose, HS256/384/512 only). */
  async authenticated(req: IncomingMessage): Promise<boolean> {
    const token = cookieValue(req, SESSION_COOKIE);
    if (token === null || token === '') return false;
    try {
      this.verifier ??= new TokenVerifier({ ...EMPTY_TOKEN_VERIFICATION, hmacSecretKey: this.secret });
      const claims = await this.verifier.verify(token, Date.now());
      return claims['sub'] === 'admin' && typeof claims['exp'] === 'number' && claims['exp'] * 1000 > Date.now();
    } catch {
      return false;
    }
  }

  private verifier: TokenVerifier | null = null;
}
