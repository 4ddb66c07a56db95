/**
 * JWT verification with `jose` for one token kind (connection or subscription), configured like
 * Centrifugo's `client.token`: an HMAC secret, an RSA and an ECDSA public key and a JWKS endpoint.
 * The key is chosen by the header's `alg` and the algorithm is pinned to that key's type, so a
 * token can never pick its own verification (`none`, HS256 signed with a public key, …).
 */

import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { TokenVerification } from '../../config/index.js';

type CryptoKey = webcrypto.CryptoKey;
import { InvalidTokenError, TokenExpiredError, TokenKeysUnavailableError } from './token-errors.js';

/** Longer tokens are rejected before any work is done. */
export const MAX_TOKEN_LENGTH = 8192;

export type JwtClaims = Record<string, unknown>;

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const EC_ALGS = ['ES256', 'ES384', 'ES512'] as const;
const JWKS_ALGS = [...RSA_ALGS, ...EC_ALGS, 'EdDSA', 'Ed25519'] as const;
const KNOWN_ALGS: readonly string[] = [...HMAC_ALGS, ...JWKS_ALGS];

/** Tuning of the JWKS cache; omitted fields take the defaults shown. */
export interface JwksOptions {
  /** Minimum time between two fetches of one endpoint (an unknown `kid` refetches at most this often); 30 s. */
  cooldownMs?: number;
  /** Cached keys are refetched when older than this; 10 min. */
  cacheMaxAgeMs?: number;
  /** One fetch may take this long; 5 s. */
  timeoutMs?: number;
}

/**
 * One JWKS key set per endpoint URL, shared by every verifier of a gateway. The cache is keyed by
 * endpoint first and `kid` within it, so a `kid` published by one issuer's endpoint can never
 * verify a token meant for another endpoint.
 */
export class JwksCache {
  private readonly sets = new Map<string, JWTVerifyGetKey>();
  constructor(private readonly options: JwksOptions = {}) {}

  keySet(endpoint: string): JWTVerifyGetKey {
    let set = this.sets.get(endpoint);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(endpoint), {
        cooldownDuration: this.options.cooldownMs ?? 30_000,
        cacheMaxAge: this.options.cacheMaxAgeMs ?? 600_000,
        timeoutDuration: this.options.timeoutMs ?? 5000,
      });
      this.sets.set(endpoint, set);
    }
    return set;
  }
}

type Pick = { key: CryptoKey | KeyObject | JWTVerifyGetKey; algorithms: string[] };

/** The hash each HMAC algorithm pins its imported key to. */
const HMAC_HASH: Record<(typeof HMAC_ALGS)[number], string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes a canonical base64url segment (no padding, no stray bits), or null. */
function canonicalSegment(segment: string): Buffer | null {
  if (!BASE64URL.test(segment)) return null;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : null;
}

/**
 * The compact form checked before jose runs, so odd encodings never reach key selection: three
 * canonical base64url segments, a JSON-object header with a string `alg`, `typ` JWT or absent.
 * Returns the header's `alg`.
 */
function readAlg(token: string): string {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.includes('.', second + 1)) throw new InvalidTokenError('malformed token');
  const headerBytes = canonicalSegment(token.slice(0, first));
  let header: unknown = null;
  try {
    header = headerBytes === null ? null : JSON.parse(headerBytes.toString('utf8'));
  } catch {
    header = null;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new InvalidTokenError('malformed header');
  const h = header as Record<string, unknown>;
  const typ = h['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) throw new InvalidTokenError('unsupported token type');
  if (h['crit'] !== undefined) throw new InvalidTokenError('critical header parameters not supported');
  const alg = h['alg'];
  if (typeof alg !== 'string' || !includes(KNOWN_ALGS, alg)) throw new InvalidTokenError('unsupported algorithm');
  if (canonicalSegment(token.slice(first + 1, second)) === null) throw new InvalidTokenError('payload is not a JSON object');
  if (canonicalSegment(token.slice(second + 1)) === null) throw new InvalidTokenError('malformed signature');
  return alg;
}

function includes(list: readonly string[], alg: string): boolean {
  return list.includes(alg);
}

export class TokenVerifier {
  private readonly hmac: Uint8Array | null;
  /**
   * The HMAC secret imported once per algorithm, non-extractable. Given raw bytes, jose imports
   * the key again on every verify: about half of an HS256 verify's CPU (docs/benchmarks.md).
   */
  private readonly hmacKeys = new Map<string, Promise<CryptoKey>>();
  private readonly rsa: KeyObject | null;
  private readonly ec: KeyObject | null;
  private readonly jwks: JWTVerifyGetKey | null;
  private readonly audienceRegex: RegExp | null;
  private readonly issuerRegex: RegExp | null;

  constructor(
    private readonly config: TokenVerification,
    jwks: JwksCache = new JwksCache(),
  ) {
    this.hmac = config.hmacSecretKey === null ? null : new TextEncoder().encode(config.hmacSecretKey);
    this.rsa = config.rsaPublicKey === null ? null : createPublicKey(config.rsaPublicKey);
    this.ec = config.ecdsaPublicKey === null ? null : createPublicKey(config.ecdsaPublicKey);
    this.jwks = config.jwksPublicEndpoint === null ? null : jwks.keySet(config.jwksPublicEndpoint);
    this.audienceRegex = config.audienceRegex === null ? null : new RegExp(config.audienceRegex);
    this.issuerRegex = config.issuerRegex === null ? null : new RegExp(config.issuerRegex);
  }

  /** The claim holding the user id (`client.token.user_id_claim`, default `sub`). */
  get userIdClaim(): string {
    return this.config.userIdClaim ?? 'sub';
  }

  /** True when some key is configured, so tokens can be verified at all. */
  get configured(): boolean {
    return this.hmac !== null || this.rsa !== null || this.ec !== null || this.jwks !== null;
  }

  /** The key for `alg`, the algorithm list pinned to it; InvalidTokenError when no configured key type fits. */
  private async keyFor(alg: string): Promise<Pick> {
    if (includes(HMAC_ALGS, alg) && this.hmac !== null)
      return { key: await this.hmacKey(alg as keyof typeof HMAC_HASH), algorithms: [alg] };
    if (includes(RSA_ALGS, alg) && this.rsa !== null) return { key: this.rsa, algorithms: [alg] };
    if (includes(EC_ALGS, alg) && this.ec !== null) return { key: this.ec, algorithms: [alg] };
    if (includes(JWKS_ALGS, alg) && this.jwks !== null) return { key: this.jwks, algorithms: [alg] };
    throw new InvalidTokenError('unsupported algorithm');
  }

  private hmacKey(alg: keyof typeof HMAC_HASH): Promise<CryptoKey> {
    let key = this.hmacKeys.get(alg);
    if (key === undefined) {
      key = webcrypto.subtle.importKey('raw', this.hmac!, { name: 'HMAC', hash: HMAC_HASH[alg] }, false, ['verify']);
      this.hmacKeys.set(alg, key);
    }
    return key;
  }

  /**
   * Verifies signature, `aud` and `iss` (when configured), `exp` and `nbf` at `nowMs`; returns the
   * payload. Throws TokenExpiredError (exp passed or nbf ahead) or InvalidTokenError.
   */
  async verify(token: string, nowMs: number): Promise<JwtClaims> {
    if (typeof token !== 'string' || token.length === 0) throw new InvalidTokenError('empty token');
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('token too long');
    if (!this.configured) throw new InvalidTokenError('no token key configured');
    const { key, algorithms } = await this.keyFor(readAlg(token));
    const options = {
      algorithms,
      currentDate: new Date(nowMs),
      ...(this.config.audience !== null ? { audience: this.config.audience } : {}),
      ...(this.config.issuer !== null ? { issuer: this.config.issuer } : {}),
    };
    let payload: JWTPayload;
    try {
      // jwtVerify is overloaded on the key kind; both branches run the same checks.
      payload = typeof key === 'function' ? (await jwtVerify(token, key, options)).payload : (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      throw mapJoseError(err);
    }
    if (this.audienceRegex !== null) {
      const aud = payload.aud;
      const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!list.some((a) => this.audienceRegex!.test(a))) throw new InvalidTokenError('audience mismatch');
    }
    if (this.issuerRegex !== null && (typeof payload.iss !== 'string' || !this.issuerRegex.test(payload.iss))) {
      throw new InvalidTokenError('issuer mismatch');
    }
    return payload;
  }
}

function mapJoseError(err: unknown): Error {
  if (err instanceof errors.JWTExpired) return new TokenExpiredError();
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return new TokenExpiredError();
    if (err.claim === 'aud') return new InvalidTokenError('audience mismatch');
    if (err.claim === 'iss') return new InvalidTokenError('issuer mismatch');
    return new InvalidTokenError(`invalid "${err.claim}" claim`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('bad signature');
  if (err instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('no matching key');
  if (
    err instanceof errors.JWKSTimeout ||
    (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC') ||
    err instanceof errors.JWKSInvalid
  ) {
    return new TokenKeysUnavailableError();
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('unsupported algorithm');
  if (err instanceof errors.JWTInvalid) return new InvalidTokenError('payload is not a JSON object');
  if (err instanceof errors.JWSInvalid) return new InvalidTokenError('malformed token');
  if (err instanceof errors.JOSEError) return new InvalidTokenError(err.code.toLowerCase().replace(/^err_/, '').replace(/_/g, ' '));
  // Anything else comes from fetching the key set (connection refused, DNS): not the token's fault.
  return new TokenKeysUnavailableError();
}
