/**
 * Parser for `.env` files: `KEY=VALUE` lines, `#` comments, optional `export ` prefix,
 * single quotes (literal) and double quotes (with `\n`, `\t`, `\"`, `\\` escapes). As in the
 * `dotenv` package, an unquoted value ends at the first `#`: quote values that contain one.
 * Malformed lines are skipped: `.env` is a convenience, `loadConfig` validates the values.
 */

import { existsSync, readFileSync } from 'node:fs';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

export function readDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)) {
    const m = LINE.exec(raw);
    if (m === null) continue;
    const key = m[1] ?? '';
    const rest = m[2] ?? '';
    const value = parseValue(rest);
    if (value !== null) out[key] = value;
  }
  return out;
}

function parseValue(rest: string): string | null {
  const quote = rest[0];
  if (quote === "'" || quote === '"') {
    const end = findClosingQuote(rest, quote);
    if (end < 0) return null;
    const body = rest.slice(1, end);
    const after = rest.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) return null;
    return quote === "'" ? body : body.replace(/\\(.)/g, (all, c: string) => ESCAPES[c] ?? all);
  }
  const hash = rest.indexOf('#');
  return (hash < 0 ? rest : rest.slice(0, hash)).trim();
}

function findClosingQuote(s: string, quote: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\' && quote === '"') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

/**
 * `env` with the variables of a `.env` file (if it exists) underneath: the real environment wins.
 * Reads the file synchronously when called, never at import time.
 */
export function withDotEnv(env: Readonly<Record<string, string | undefined>>, path = '.env'): Record<string, string | undefined> {
  return existsSync(path) ? { ...readDotEnv(readFileSync(path, 'utf8')), ...env } : { ...env };
}
