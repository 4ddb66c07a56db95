/**
 * Server API methods acting on connections and channels across nodes: `channels` (this node's
 * active channels, filtered by a `pattern`), `subscribe` (server-side subscription of a user's
 * connections) and `refresh` (new expiry or expired now for a user's connections).
 */

import { rawValueAt } from '../../protocol/index.js';
import { InvalidTokenError, overrideClaim } from '../auth/index.js';
import { badRequest } from './api-request.js';
import { BASE64, knownChannel, type ApiCall, type ApiMethod } from './api-methods.js';

/** Centrifugo's glob for `pattern`: `*` any run of characters, `?` one character. */
export function globMatcher(pattern: string): (name: string) => boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${body}$`, 's');
  return (name) => re.test(name);
}

/** `name` as raw JSON bytes, or `b64name` decoded, base64-encoded for a control command; undefined when absent. */
function bytesParam(call: ApiCall, name: string): string | undefined {
  if (call.request.body[name] !== undefined && call.request.body[name] !== null) {
    return Buffer.from(rawValueAt(call.raw, [name])).toString('base64');
  }
  const b64 = call.request.optionalString(`b64${name}`);
  if (b64 === undefined) return undefined;
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw badRequest(`b64${name} must be standard base64`);
  return b64;
}

const channels: ApiMethod = async ({ request, deps }) => {
  const pattern = request.optionalString('pattern');
  if (pattern !== undefined && pattern.length > 1024) throw badRequest('pattern must be at most 1024 characters');
  const matches = pattern === undefined ? () => true : globMatcher(pattern);
  const members: string[] = [];
  for (const [channel, numClients] of (await deps.channels?.()) ?? new Map<string, number>()) {
    if (matches(channel)) members.push(`${JSON.stringify(channel)}:{"num_clients":${numClients}}`);
  }
  return `{"channels":{${members.join(',')}}}`;
};

const subscribe: ApiMethod = async (call) => {
  const { request, deps } = call;
  const user = request.requiredString('user');
  const channel = request.requiredString('channel');
  const client = request.optionalString('client');
  request.unsupported('session');
  const since = request.optionalObject('recover_since');
  const recoverSince =
    since === undefined
      ? undefined
      : { offset: since.optionalInteger('offset', 0, Number.MAX_SAFE_INTEGER, 0), epoch: since.optionalString('epoch') ?? '' };
  knownChannel(deps, channel);
  const info = bytesParam(call, 'info');
  const data = bytesParam(call, 'data');
  let override;
  try {
    override = overrideClaim(request.body) ?? undefined;
  } catch (err) {
    if (err instanceof InvalidTokenError) throw badRequest('override must be {"presence": {"value": true}, …} with boolean values');
    throw err;
  }
  await deps.control.send({
    type: 'subscribe',
    user,
    channel,
    ...(client !== undefined ? { client } : {}),
    ...(info !== undefined ? { info } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(override !== undefined ? { override } : {}),
    ...(recoverSince !== undefined ? { recoverSince } : {}),
  });
  return '{}';
};

const refresh: ApiMethod = async (call) => {
  const { request, deps } = call;
  const user = request.requiredString('user');
  const client = request.optionalString('client');
  request.unsupported('session');
  const expired = request.optionalBoolean('expired');
  const expireAt = request.optionalInteger('expire_at', 0, Number.MAX_SAFE_INTEGER, 0);
  const info = bytesParam(call, 'info');
  if (expired && expireAt > 0) throw badRequest('expired and expire_at exclude each other');
  await deps.control.send({
    type: 'refresh',
    user,
    ...(client !== undefined ? { client } : {}),
    ...(expired ? { expired: true } : {}),
    ...(expireAt > 0 ? { expireAt } : {}),
    ...(info !== undefined ? { info } : {}),
  });
  return '{}';
};

export const USER_METHODS: ReadonlyMap<string, ApiMethod> = new Map([
  ['channels', channels],
  ['subscribe', subscribe],
  ['refresh', refresh],
]);
