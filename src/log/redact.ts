/**
 * What the logger must never print: the field names that hold secrets (redacted by path at any
 * depth up to three levels) and the string shapes of credentials (JWTs, passwords in URLs),
 * scrubbed from every finished log line wherever they ended up.
 */

/** Replaces a redacted value in the output. */
export const REDACTED = '[REDACTED]';

/** Field names whose values are secrets, in every spelling this system or its clients use. */
export const SECRET_KEYS: readonly string[] = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'subscriptionToken',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'x-api-key',
  'X-API-Key',
  'apiKey',
  'api_key',
  'httpApiKey',
  'secret',
  'clientSecret',
  'client_secret',
  'password',
  'passwd',
  'redisPassword',
  'hmacSecretKey',
  'hmac_secret_key',
  'tokenHmacSecretKey',
  'token_hmac_secret_key',
  'CENTRIFUGO_TOKEN_HMAC_SECRET_KEY',
  'TOKEN_HMAC_SECRET_KEY',
  'HTTP_API_KEY',
  'REDIS_PASSWORD',
  'staticHeaders',
  'static_headers',
  'transportHeaders',
];

const identifier = /^[A-Za-z_$][\w$]*$/;

function segment(key: string): string {
  return identifier.test(key) ? key : `["${key}"]`;
}

function join(prefix: string, key: string): string {
  const part = segment(key);
  return part.startsWith('[') ? `${prefix}${part}` : `${prefix}.${part}`;
}

/**
 * pino redaction paths for `keys` at the top level and under one or two levels of any object,
 * e.g. `token`, `*.token`, `*.*.token` (covers `connect.token`, `req.headers.authorization`).
 */
export function redactionPaths(keys: readonly string[] = SECRET_KEYS): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    paths.push(segment(key), join('*', key), join('*.*', key));
  }
  return paths;
}

// base64url of '{"' begins every JWT header with "eyJ"; three dot-separated base64url parts.
const jwtShape = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;
// scheme://user:password@host: the password part, e.g. in a REDIS_URL.
const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@"]*:)[^\s/@"]+@/gi;

/**
 * Removes JWTs and URL passwords from a string (a message or a whole JSON log line). Lines
 * without the telltale substrings cost two `includes` scans and no allocation.
 */
export function scrubSecrets(text: string): string {
  let out = text;
  if (out.includes('eyJ')) out = out.replace(jwtShape, REDACTED);
  if (out.includes('://') && out.includes('@')) out = out.replace(urlPassword, `$1${REDACTED}@`);
  return out;
}
