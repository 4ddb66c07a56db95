/**
 * Many server API commands in one request: `POST /api/batch` (`{"commands": [{"publish": {...}},
 * …], "parallel": bool}` → `{"replies": [{"publish": {...}}, {"error": {...}}, …]}`) and the legacy
 * `POST /api` form cent.js's pipeline sends (newline-delimited `{"method", "params"}` lines,
 * answered by one `{"result"}` or `{"error"}` line each). Also the method table and the
 * per-request metrics (bounded labels: known method names only).
 */

import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Errors, ReplyError } from '../../protocol/index.js';
import { API_METHODS, errorJson, type ApiDeps, type ApiMethod } from './api-methods.js';
import { ApiRequest, badRequest } from './api-request.js';
import { USER_METHODS } from './api-user-methods.js';

/** Commands one batch (or legacy request) may carry. */
export const MAX_BATCH_COMMANDS = 1000;
/** Commands of a parallel batch running at once. */
const PARALLEL_LIMIT = 32;

export type ApiMetrics = NonNullable<ApiDeps['metrics']>;

/** Every method by name (`POST /api/<name>`), batch aside. */
export function apiMethods(): ReadonlyMap<string, ApiMethod> {
  return new Map([...API_METHODS, ...USER_METHODS]);
}

interface Command {
  name: string;
  params: Record<string, unknown>;
}

async function runOne(
  deps: ApiDeps,
  methods: ReadonlyMap<string, ApiMethod>,
  command: Command,
  logger: Logger,
): Promise<{ ok: boolean; json: string }> {
  const method = methods.get(command.name);
  const started = performance.now();
  let out: { ok: boolean; json: string };
  if (method === undefined) {
    out = { ok: false, json: JSON.stringify({ error: new ReplyError(Errors.methodNotFound).toProtocol() }) };
  } else {
    try {
      const raw = Buffer.from(JSON.stringify(command.params));
      out = { ok: true, json: await method({ deps, request: new ApiRequest(command.params), raw }) };
    } catch (err) {
      out = { ok: false, json: errorJson(err, logger, command.name) };
    }
  }
  deps.metrics?.observe(method === undefined ? 'unknown' : command.name, out.ok ? 'ok' : 'error', (performance.now() - started) / 1000);
  return out;
}

async function runAll<T>(items: readonly T[], parallel: boolean, run: (item: T) => Promise<string>): Promise<string[]> {
  const out = new Array<string>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: parallel ? Math.min(PARALLEL_LIMIT, items.length) : 1 }, worker));
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `POST /api/batch`: each command is an object with one member, the method name, holding its params. */
export async function runBatch(deps: ApiDeps, methods: ReadonlyMap<string, ApiMethod>, request: ApiRequest): Promise<string> {
  const list = request.body['commands'];
  if (!Array.isArray(list) || list.length === 0) throw badRequest('commands is required and must be a non-empty array');
  if (list.length > MAX_BATCH_COMMANDS) throw badRequest(`at most ${MAX_BATCH_COMMANDS} commands per batch`);
  const parallel = request.optionalBoolean('parallel');
  const commands: Command[] = list.map((item, i) => {
    const keys = isObject(item) ? Object.keys(item) : [];
    const name = keys[0];
    if (keys.length !== 1 || name === undefined || !isObject((item as Record<string, unknown>)[name])) {
      throw badRequest(`commands[${i}] must be an object with one method name holding its parameters`);
    }
    return { name, params: (item as Record<string, Record<string, unknown>>)[name]! };
  });
  const replies = await runAll(commands, parallel, async (c) => {
    const r = await runOne(deps, methods, c, deps.logger);
    return r.ok ? `{${JSON.stringify(c.name)}:${r.json}}` : r.json;
  });
  return `{"replies":[${replies.join(',')}]}`;
}

/** The legacy `POST /api` body: one command per line, `{"method": "...", "params": {...}}`; replies in order, one per line. */
export async function runLegacyLines(deps: ApiDeps, methods: ReadonlyMap<string, ApiMethod>, raw: Buffer): Promise<string> {
  const lines = raw
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length === 0)
    return JSON.stringify({ error: badRequest('empty request: send {"method": ..., "params": ...} lines').toProtocol() });
  if (lines.length > MAX_BATCH_COMMANDS)
    return JSON.stringify({ error: badRequest(`at most ${MAX_BATCH_COMMANDS} commands per request`).toProtocol() });
  const replies = await runAll(lines, false, async (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return JSON.stringify({ error: badRequest('line is not valid JSON').toProtocol() });
    }
    if (!isObject(parsed) || typeof parsed['method'] !== 'string') {
      return JSON.stringify({ error: badRequest('each line must be {"method": "...", "params": {...}}').toProtocol() });
    }
    const params = parsed['params'] ?? {};
    if (!isObject(params)) return JSON.stringify({ error: badRequest('params must be an object').toProtocol() });
    const r = await runOne(deps, methods, { name: parsed['method'], params }, deps.logger);
    return r.ok ? `{"result":${r.json}}` : r.json;
  });
  return replies.join('\n');
}
