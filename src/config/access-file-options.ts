/**
 * CONFIG_FILE readers for authentication and admission: `client.token`,
 * `client.subscription_token`, `client.allowed_origins`, the per-user and rate limits, every
 * `*.proxy` object and `http_api.key` (Centrifugo v6 names). Problems go to the Reader.
 */

import { createPublicKey } from 'node:crypto';
import type { ProxyConfig, ProxyEndpoint, ProxyStatusTransform, TokenVerification } from './config.js';

/** The subset of config-file.ts's Reader these readers use. */
export interface FileReader {
  report(path: string, message: string): void;
  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | null;
  bool(value: unknown, path: string): boolean | undefined;
  int(value: unknown, path: string, min: number, max: number): number | undefined;
  duration(value: unknown, path: string): number | undefined;
  string(value: unknown, path: string): string | undefined;
}

export const TOKEN_KEYS = [
  'hmac_secret_key',
  'rsa_public_key',
  'ecdsa_public_key',
  'jwks_public_endpoint',
  'audience',
  'issuer',
  'audience_regex',
  'issuer_regex',
  'user_id_claim',
] as const;

export const EMPTY_TOKEN_VERIFICATION: TokenVerification = {
  hmacSecretKey: null,
  rsaPublicKey: null,
  ecdsaPublicKey: null,
  jwksPublicEndpoint: null,
  audience: null,
  issuer: null,
  audienceRegex: null,
  issuerRegex: null,
  userIdClaim: null,
};

function regexOption(r: FileReader, value: unknown, path: string): string | null {
  const v = optionalString(r, value, path);
  if (v === null) return null;
  try {
    new RegExp(v);
    return v;
  } catch {
    r.report(path, 'must be a valid regular expression');
    return null;
  }
}

function pemKey(r: FileReader, value: unknown, path: string, type: 'rsa' | 'ec'): string | null {
  const pem = r.string(value, path);
  if (pem === undefined || pem === '') return null;
  try {
    const key = createPublicKey(pem);
    const ok = type === 'rsa' ? key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss' : key.asymmetricKeyType === 'ec';
    if (ok) return pem;
  } catch {
    // reported below
  }
  r.report(path, `must be a PEM ${type === 'rsa' ? 'RSA' : 'ECDSA'} public key ("-----BEGIN PUBLIC KEY-----…")`);
  return null;
}

function httpUrl(r: FileReader, value: unknown, path: string): string | null {
  const text = r.string(value, path);
  if (text === undefined || text === '') return null;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // reported below
  }
  r.report(path, 'must be an http:// or https:// URL');
  return null;
}

function optionalString(r: FileReader, value: unknown, path: string): string | null {
  const v = r.string(value, path);
  return v === undefined || v === '' ? null : v;
}

/** Reads a `client.token`-shaped object (`extra`: further keys allowed, e.g. `enabled`). */
export function readTokenVerification(
  r: FileReader,
  value: unknown,
  path: string,
  extra: readonly string[] = [],
): {
  settings: Partial<TokenVerification>;
  obj: Record<string, unknown> | null;
} {
  const obj = r.object(value, path, [...TOKEN_KEYS, ...extra]);
  const settings: Partial<TokenVerification> = {};
  if (obj === null) return { settings, obj };
  if (obj['hmac_secret_key'] !== undefined) settings.hmacSecretKey = optionalString(r, obj['hmac_secret_key'], `${path}.hmac_secret_key`);
  if (obj['rsa_public_key'] !== undefined) settings.rsaPublicKey = pemKey(r, obj['rsa_public_key'], `${path}.rsa_public_key`, 'rsa');
  if (obj['ecdsa_public_key'] !== undefined) settings.ecdsaPublicKey = pemKey(r, obj['ecdsa_public_key'], `${path}.ecdsa_public_key`, 'ec');
  if (obj['jwks_public_endpoint'] !== undefined)
    settings.jwksPublicEndpoint = httpUrl(r, obj['jwks_public_endpoint'], `${path}.jwks_public_endpoint`);
  if (obj['audience'] !== undefined) settings.audience = optionalString(r, obj['audience'], `${path}.audience`);
  if (obj['issuer'] !== undefined) settings.issuer = optionalString(r, obj['issuer'], `${path}.issuer`);
  if (obj['audience_regex'] !== undefined) settings.audienceRegex = regexOption(r, obj['audience_regex'], `${path}.audience_regex`);
  if (obj['issuer_regex'] !== undefined) settings.issuerRegex = regexOption(r, obj['issuer_regex'], `${path}.issuer_regex`);
  if (obj['user_id_claim'] !== undefined) settings.userIdClaim = optionalString(r, obj['user_id_claim'], `${path}.user_id_claim`);
  const set = (v: string | null | undefined): boolean => v !== undefined && v !== null;
  if (set(settings.audience) && set(settings.audienceRegex)) r.report(`${path}.audience_regex`, 'cannot be combined with audience');
  if (set(settings.issuer) && set(settings.issuerRegex)) r.report(`${path}.issuer_regex`, 'cannot be combined with issuer');
  return { settings, obj };
}

/** `client.allowed_origins`: an array of origins (`https://app.example.com`) or `*` patterns. */
export function readAllowedOrigins(r: FileReader, value: unknown, path: string): string[] | undefined {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v !== '' && !/\s/.test(v))) {
    r.report(path, 'must be an array of origins such as "https://app.example.com" or patterns such as "https://*.example.com"');
    return undefined;
  }
  return value;
}

const PROXY_KEYS = ['endpoint', 'timeout', 'http_headers', 'http', 'enabled'] as const;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Reads one proxy object. `withEnabled`: the object has Centrifugo's `enabled` flag (client
 * proxies); returns null when it is off or the object is invalid.
 */
export function readProxy(r: FileReader, value: unknown, path: string, withEnabled: boolean): ProxyEndpoint | null {
  const obj = r.object(value, path, withEnabled ? PROXY_KEYS : PROXY_KEYS.filter((k) => k !== 'enabled'));
  if (obj === null) return null;
  if (withEnabled) {
    const enabled = obj['enabled'] === undefined ? false : r.bool(obj['enabled'], `${path}.enabled`);
    if (enabled !== true) return null;
  }
  const endpoint = obj['endpoint'] === undefined ? null : httpUrl(r, obj['endpoint'], `${path}.endpoint`);
  if (endpoint === null) {
    r.report(`${path}.endpoint`, 'is required: the http(s) URL of your backend handler');
    return null;
  }
  const timeoutMs = obj['timeout'] === undefined ? 1000 : (r.duration(obj['timeout'], `${path}.timeout`) ?? 1000);
  let httpHeaders: string[] = [];
  const headers = obj['http_headers'];
  if (headers !== undefined) {
    if (Array.isArray(headers) && headers.every((h): h is string => typeof h === 'string' && HEADER_NAME.test(h))) {
      httpHeaders = headers.map((h) => h.toLowerCase());
    } else r.report(`${path}.http_headers`, 'must be an array of header names such as "Cookie" or "Authorization"');
  }
  const staticHeaders: Record<string, string> = {};
  let statusTransforms: ProxyStatusTransform[] = [];
  if (obj['http'] !== undefined) {
    const http = r.object(obj['http'], `${path}.http`, ['static_headers', 'status_to_code_transforms']);
    if (http?.['status_to_code_transforms'] !== undefined)
      statusTransforms = readTransforms(r, http['status_to_code_transforms'], `${path}.http.status_to_code_transforms`);
    const fixed = http?.['static_headers'];
    if (fixed !== undefined) {
      const map = r.object(fixed, `${path}.http.static_headers`, Object.keys(fixed as object));
      for (const [k, v] of Object.entries(map ?? {})) {
        if (typeof v === 'string' && HEADER_NAME.test(k)) staticHeaders[k.toLowerCase()] = v;
        else r.report(`${path}.http.static_headers.${k}`, 'must be a header name with a string value');
      }
    }
  }
  return { endpoint, timeoutMs, httpHeaders, staticHeaders, statusTransforms };
}

function readTransforms(r: FileReader, value: unknown, path: string): ProxyStatusTransform[] {
  if (!Array.isArray(value)) {
    r.report(path, 'must be an array of {status_code, to_error | to_disconnect}');
    return [];
  }
  const out: ProxyStatusTransform[] = [];
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const t = r.object(item, at, ['status_code', 'to_error', 'to_disconnect']);
    if (t === null) return;
    const statusCode = r.int(t['status_code'], `${at}.status_code`, 100, 599);
    if (statusCode === undefined) return;
    const transform: ProxyStatusTransform = { statusCode };
    if (t['to_error'] !== undefined) {
      const e = r.object(t['to_error'], `${at}.to_error`, ['code', 'message', 'temporary']);
      const code = e === null ? undefined : r.int(e['code'], `${at}.to_error.code`, 0, 0xffffffff);
      if (e !== null && code !== undefined) {
        transform.toError = {
          code,
          message: e['message'] === undefined ? '' : (r.string(e['message'], `${at}.to_error.message`) ?? ''),
          temporary: e['temporary'] === undefined ? false : (r.bool(e['temporary'], `${at}.to_error.temporary`) ?? false),
        };
      }
    }
    if (t['to_disconnect'] !== undefined) {
      const d = r.object(t['to_disconnect'], `${at}.to_disconnect`, ['code', 'reason']);
      const code = d === null ? undefined : r.int(d['code'], `${at}.to_disconnect.code`, 3000, 4999);
      if (d !== null && code !== undefined) {
        transform.toDisconnect = {
          code,
          reason: d['reason'] === undefined ? '' : (r.string(d['reason'], `${at}.to_disconnect.reason`) ?? ''),
        };
      }
    }
    if ((transform.toError === undefined) === (transform.toDisconnect === undefined)) {
      r.report(at, 'needs exactly one of to_error and to_disconnect');
      return;
    }
    out.push(transform);
  });
  return out;
}

export const EMPTY_PROXIES: ProxyConfig = {
  connect: null,
  refresh: null,
  subscribe: null,
  publish: null,
  subRefresh: null,
  rpc: null,
  rpcProxyEnabled: false,
};

/** `channel.proxy`: subscribe, publish and sub_refresh proxies (enabled per namespace). */
export function readChannelProxies(r: FileReader, value: unknown, out: Partial<ProxyConfig>): void {
  const obj = r.object(value, 'channel.proxy', ['subscribe', 'publish', 'sub_refresh']);
  if (obj === null) return;
  if (obj['subscribe'] !== undefined) out.subscribe = readProxy(r, obj['subscribe'], 'channel.proxy.subscribe', false);
  if (obj['publish'] !== undefined) out.publish = readProxy(r, obj['publish'], 'channel.proxy.publish', false);
  if (obj['sub_refresh'] !== undefined) out.subRefresh = readProxy(r, obj['sub_refresh'], 'channel.proxy.sub_refresh', false);
}

/** `client.proxy`: connect and refresh proxies. */
export function readClientProxies(r: FileReader, value: unknown, out: Partial<ProxyConfig>): void {
  const obj = r.object(value, 'client.proxy', ['connect', 'refresh']);
  if (obj === null) return;
  if (obj['connect'] !== undefined) out.connect = readProxy(r, obj['connect'], 'client.proxy.connect', true);
  if (obj['refresh'] !== undefined) out.refresh = readProxy(r, obj['refresh'], 'client.proxy.refresh', true);
}

/** The `rpc` section: `rpc.proxy` and `rpc.without_namespace.proxy_enabled`. */
export function readRpc(r: FileReader, value: unknown, out: Partial<ProxyConfig>): void {
  const obj = r.object(value, 'rpc', ['proxy', 'without_namespace']);
  if (obj === null) return;
  if (obj['proxy'] !== undefined) out.rpc = readProxy(r, obj['proxy'], 'rpc.proxy', false);
  if (obj['without_namespace'] !== undefined) {
    const wn = r.object(obj['without_namespace'], 'rpc.without_namespace', ['proxy_enabled']);
    if (wn?.['proxy_enabled'] !== undefined)
      out.rpcProxyEnabled = r.bool(wn['proxy_enabled'], 'rpc.without_namespace.proxy_enabled') ?? false;
  }
}
