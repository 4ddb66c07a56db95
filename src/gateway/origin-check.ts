/**
 * The browser Origin check of every client transport (Centrifugo's `client.allowed_origins`):
 * one function from the configured list, an Origin header and the request's Host header to
 * "allowed or not". Transports refuse a request it rejects (WebSocket upgrade: 403) before any
 * protocol work, which closes cross-site WebSocket hijacking with the user's cookies.
 */

/** What the check needs from the configuration; null `allowedOrigins`: the list is not set. */
export interface OriginPolicyConfig {
  readonly allowedOrigins: readonly string[] | null;
}

/** Decides one request; `origin` and `host` are the raw header values (undefined when absent). */
export type OriginCheck = (origin: string | undefined, host: string | undefined) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `*` in a pattern stands for any run of characters other than `/` (an origin has no path, so a
 * crafted value cannot smuggle the allowed suffix behind one); matching ignores case.
 */
function compilePattern(pattern: string): RegExp {
  const body = pattern.toLowerCase().split('*').map(escapeRegExp).join('[^/]*');
  return new RegExp(`^${body}$`);
}

/** The host[:port] of an Origin value, lower-cased, or null when it is not a URL. */
function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.host === '' ? null : url.host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Builds the check. With a list: a request without Origin (not a browser) passes, a request with
 * one passes when it matches an entry exactly or by `*` wildcard (`"*"` alone allows all). Without
 * a list (Centrifugo's default): a request without Origin passes, and one with an Origin passes
 * only when the Origin's host and port equal the request's Host header (same-host page).
 */
export function createOriginCheck(config: OriginPolicyConfig): OriginCheck {
  const list = config.allowedOrigins;
  if (list === null) {
    return (origin, host) => {
      if (origin === undefined || origin === '') return true;
      const fromHost = originHost(origin);
      return fromHost !== null && host !== undefined && fromHost === host.toLowerCase();
    };
  }
  if (list.includes('*')) return () => true;
  const exact = new Set(list.filter((p) => !p.includes('*')).map((p) => p.toLowerCase()));
  const patterns = list.filter((p) => p.includes('*')).map(compilePattern);
  return (origin) => {
    if (origin === undefined || origin === '') return true;
    const o = origin.toLowerCase();
    return exact.has(o) || patterns.some((p) => p.test(o));
  };
}

/** The start-up line describing the policy in force (logged once by the gateway). */
export function describeOriginPolicy(config: OriginPolicyConfig): string {
  const list = config.allowedOrigins;
  if (list === null) {
    return 'client.allowed_origins is not set: browsers may connect only from a page whose origin matches the Host they connect to; requests without Origin are allowed';
  }
  if (list.includes('*'))
    return 'client.allowed_origins is "*": browsers from any origin may connect (cross-site WebSocket hijacking is possible with cookies)';
  return `client.allowed_origins: browsers may connect from ${list.length} origin pattern(s); other origins get 403`;
}
