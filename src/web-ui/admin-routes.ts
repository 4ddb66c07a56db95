/**
 * The admin UI's JSON endpoints under `/admin/api/`: login and logout, then (with a session)
 * the overview, workers, channels, and calls into the server API's own methods, in-process, so
 * the browser never holds the HTTP API key.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { API_METHODS, ApiRequest, errorJsonOf, type ApiDeps, type HttpRouteHandler } from '../gateway/index.js';
import type { AdminSessions } from './admin-session.js';
import { listWorkers, readCounters, searchChannels, type WorkerSources } from './admin-overview.js';
import { HttpProblem, pathOf, queryOf, readJsonObject, sendJson, sendJsonText } from './http-json.js';
import type { LoginLimiter } from './login-limiter.js';

export const ADMIN_API_PREFIX = '/admin/api/';

/** Server API methods the admin UI may call. */
export const ADMIN_CALLABLE = [
  'info',
  'publish',
  'history',
  'presence',
  'presence_stats',
  'disconnect',
  'unsubscribe',
  'channels',
] as const;

export interface AdminRoutesOptions {
  sessions: AdminSessions;
  limiter: LoginLimiter;
  /** The server API's dependencies: the admin calls its methods directly. */
  api: ApiDeps;
  workers: WorkerSources;
  /** This node's channels and their local subscriber counts. */
  localChannels: () => ReadonlyMap<string, number>;
  metrics: Registry;
  mode: 'embedded' | 'redis' | 'redis-cluster' | 'redis-sentinel';
  nodeId: string;
  logger: Logger;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  options: AdminRoutesOptions;
  rest: string;
}
interface Route {
  method: 'GET' | 'POST';
  session: boolean;
  handle(ctx: Ctx): Promise<void>;
}

function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

async function callMethod(options: AdminRoutesOptions, name: string, body: Record<string, unknown>, raw: Buffer): Promise<string> {
  const method = API_METHODS.get(name);
  if (method === undefined || !(ADMIN_CALLABLE as readonly string[]).includes(name))
    throw new HttpProblem(404, `no such method: ${name.slice(0, 64)}`);
  try {
    return `{"result":${await method({ deps: options.api, request: new ApiRequest(body), raw })}}`;
  } catch (err) {
    return errorJsonOf(err, options.logger, name);
  }
}

const DEAD_LETTER_PAGE = 50;
const WORKER_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

function workerParam(value: string | null): string {
  if (value === null || !WORKER_ID.test(value)) throw new HttpProblem(400, 'worker must be a worker id (1-64 of A-Z a-z 0-9 _ . -)');
  return value;
}

function stringList(value: unknown): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > 1000 ||
    !value.every((v) => typeof v === 'string' && ENTRY_ID.test(v))
  ) {
    throw new HttpProblem(400, 'entryIds must be "all" or a list of 1 to 1000 entry ids');
  }
  return value as string[];
}

const ROUTES: Readonly<Record<string, Route>> = {
  login: {
    method: 'POST',
    session: false,
    async handle({ req, res, options }) {
      const client = clientAddress(req);
      const wait = options.limiter.retryAfterSeconds(client);
      if (wait > 0) return sendJson(res, 429, { error: `too many failed logins; try again in ${wait} s` }, { 'retry-after': String(wait) });
      const { body } = await readJsonObject(req);
      const password = typeof body['password'] === 'string' ? body['password'] : '';
      if (!options.sessions.passwordMatches(password)) {
        options.limiter.recordFailure(client);
        options.logger.warn({ client }, 'admin login refused: wrong password');
        return sendJson(res, 401, { error: 'wrong password' });
      }
      options.limiter.recordSuccess(client);
      options.logger.info({ client }, 'admin login');
      return sendJson(res, 200, { ok: true }, { 'set-cookie': options.sessions.issueCookie() });
    },
  },
  logout: {
    method: 'POST',
    session: false,
    async handle({ res, options }) {
      sendJson(res, 200, { ok: true }, { 'set-cookie': options.sessions.clearCookie() });
    },
  },
  session: {
    method: 'GET',
    session: false,
    async handle({ req, res, options }) {
      sendJson(res, 200, { authenticated: await options.sessions.authenticated(req) });
    },
  },
  overview: {
    method: 'GET',
    session: true,
    async handle({ res, options }) {
      const info = await callMethod(options, 'info', {}, Buffer.from('{}'));
      const counters = await readCounters(options.metrics);
      sendJsonText(
        res,
        200,
        `{"mode":${JSON.stringify(options.mode)},"nodeId":${JSON.stringify(options.nodeId)},"at":${Date.now()},"counters":${JSON.stringify(counters)},"info":${info}}`,
      );
    },
  },
  workers: {
    method: 'GET',
    session: true,
    async handle({ res, options }) {
      sendJson(res, 200, { workers: await listWorkers(options.workers) });
    },
  },
  channels: {
    method: 'GET',
    session: true,
    async handle({ req, res, options }) {
      const q = queryOf(req);
      sendJson(res, 200, { scope: 'node', ...searchChannels(options.localChannels(), (q.get('search') ?? '').slice(0, 255), 200) });
    },
  },
  'dead-letters': {
    method: 'GET',
    session: true,
    async handle({ req, res, options, rest }) {
      const q = queryOf(req);
      const worker = workerParam(q.get('worker'));
      if (rest === '') {
        const after = q.get('after') ?? undefined;
        if (after !== undefined && !ENTRY_ID.test(after)) throw new HttpProblem(400, 'after must be an entry id such as 1700000000000-0');
        const letters = await options.workers.queue.readDeadLetters(worker, DEAD_LETTER_PAGE, after);
        return sendJson(res, 200, {
          total: await options.workers.queue.countDeadLetters(worker),
          deadLetters: letters.map((d) => ({
            entryId: d.entryId,
            sourceEntryId: d.sourceEntryId,
            error: d.error,
            attempts: d.attempts,
            deadAt: d.deadAt,
            channel: d.message?.channel ?? null,
            kind: d.message?.kind ?? null,
            user: d.message?.user ?? null,
            data: d.message?.data ?? null,
          })),
        });
      }
      return sendJson(res, 404, { error: 'not found' });
    },
  },
  'dead-letters-action': {
    method: 'POST',
    session: true,
    async handle({ req, res, options, rest }) {
      const { body } = await readJsonObject(req);
      const worker = workerParam(typeof body['worker'] === 'string' ? body['worker'] : null);
      const ids = body['entryIds'] === 'all' ? ('all' as const) : stringList(body['entryIds']);
      const queue = options.workers.queue;
      if (rest === 'replay') {
        const moved = await queue.replayDeadLetters(worker, ids);
        options.logger.info({ worker, count: moved }, 'admin replayed dead letters');
        return sendJson(res, 200, { replayed: moved });
      }
      if (rest === 'purge') {
        const deleted = await queue.purgeDeadLetters(worker, ids);
        options.logger.info({ worker, count: deleted }, 'admin purged dead letters');
        return sendJson(res, 200, { purged: deleted });
      }
      return sendJson(res, 404, { error: 'use dead-letters-action/replay or dead-letters-action/purge' });
    },
  },
  call: {
    method: 'POST',
    session: true,
    async handle({ req, res, options, rest }) {
      const { body, raw } = await readJsonObject(req);
      sendJsonText(res, 200, await callMethod(options, rest, body, raw));
    },
  },
};

export function createAdminRoutes(options: AdminRoutesOptions): HttpRouteHandler {
  return async (req, res) => {
    const path = pathOf(req);
    if (!path.startsWith(ADMIN_API_PREFIX)) return false;
    const [name = '', ...more] = path.slice(ADMIN_API_PREFIX.length).split('/');
    const route = ROUTES[name];
    if (route === undefined || !Object.hasOwn(ROUTES, name)) {
      sendJson(res, 404, { error: 'not found' });
      return true;
    }
    if (req.method !== route.method) {
      sendJson(res, 405, { error: `use ${route.method}` }, { allow: route.method });
      return true;
    }
    if (route.session && !(await options.sessions.authenticated(req))) {
      sendJson(res, 401, { error: 'log in first' });
      return true;
    }
    try {
      await route.handle({ req, res, options, rest: more.join('/') });
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err;
      sendJson(res, err.status, { error: err.message });
    }
    return true;
  };
}
