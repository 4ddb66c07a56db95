/**
 * The server API methods (Centrifugo's request and response shapes): each reads its request and
 * resolves with the JSON text of its `result`, or throws a ReplyError that becomes `error`.
 */

import type { Logger } from 'pino';
import { resolveChannel, validateChannelName, type Config, type ResolvedChannel } from '../../config/index.js';
import {
  historyOptionsFor,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MemoryIdempotencyStore,
  type Broker,
  type ControlBus,
  type HistoryFilter,
  type IdempotencyStore,
  type NodeRegistry,
  type PresenceManager,
} from '../../engine/index.js';
import {
  Disconnects,
  Errors,
  rawValueAt,
  ReplyError,
  type Bytes,
  type ChannelName,
  type ClientInfo,
  type StreamPosition,
} from '../../protocol/index.js';
import { badRequest, type ApiRequest } from './api-request.js';
import { clientInfoJson, publicationJson } from './api-json.js';

/** Publishes with the history options of the channel's namespace (ChannelPublisher does). */
export interface ApiPublisher {
  publish(
    channel: ChannelName,
    data: Bytes,
    options?: { info?: ClientInfo; tags?: Record<string, string>; skipHistory?: boolean },
  ): Promise<StreamPosition>;
}

/** What the server API reads and drives. */
export interface ApiDeps {
  config: Pick<Config, 'httpApiKey' | 'channel'>;
  logger: Logger;
  publisher: ApiPublisher;
  broker: Pick<Broker, 'history' | 'removeHistory'>;
  presence: Pick<PresenceManager, 'presence' | 'presenceStats'>;
  control: Pick<ControlBus, 'send'>;
  nodes: Pick<NodeRegistry, 'list'>;
  /** Subscribed connections per channel across the cluster (`channels`, e.g. ControlPlane.channels); omitted: none are reported. */
  channels?: () => Promise<ReadonlyMap<ChannelName, number>>;
  /** Records each request (`method`: a known name, `batch`, or `unknown`); omitted: not measured. */
  metrics?: { observe(method: string, result: string, seconds: number): void };
  /** `idempotency_key` results (Redis twin with several gateways); omitted: one in memory per API deps. */
  idempotency?: IdempotencyStore;
}

/** One call: the parsed body and its raw bytes (so `data` keeps the sender's exact JSON). */
export interface ApiCall {
  deps: ApiDeps;
  request: ApiRequest;
  raw: Buffer;
}

export type ApiMethod = (call: ApiCall) => Promise<string>;

/** Max channels publishing at once during one broadcast. */
const BROADCAST_CONCURRENCY = 32;
const MAX_REASON_BYTES = 123;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function knownChannel(deps: ApiDeps, channel: ChannelName): ResolvedChannel {
  const problem = validateChannelName(deps.config.channel, channel);
  if (problem !== null) throw badRequest(problem);
  const resolved = resolveChannel(deps.config.channel, channel);
  if (resolved === null) throw new ReplyError(Errors.unknownChannel);
  return resolved;
}

/** `data` as the raw JSON bytes the sender wrote, or `b64data` decoded. */
function publicationData(call: ApiCall): Bytes {
  if (call.request.body.data !== undefined) return rawValueAt(call.raw, ['data']);
  const b64 = call.request.optionalString('b64data');
  if (b64 !== undefined) {
    if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw badRequest('b64data must be standard base64');
    return Buffer.from(b64, 'base64');
  }
  throw badRequest('data is required');
}

function positionJson(position: StreamPosition): string {
  return `{"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}}`;
}

function errorJson(err: unknown, logger: Logger, method: string): string {
  if (err instanceof ReplyError) return JSON.stringify({ error: err.toProtocol() });
  logger.error({ err, method }, 'server API call failed');
  return JSON.stringify({ error: new ReplyError(Errors.internal).toProtocol() });
}

const fallbackIdempotency = new WeakMap<ApiDeps, IdempotencyStore>();

function idempotencyOf(deps: ApiDeps): IdempotencyStore {
  if (deps.idempotency !== undefined) return deps.idempotency;
  let store = fallbackIdempotency.get(deps);
  if (store === undefined) fallbackIdempotency.set(deps, (store = new MemoryIdempotencyStore()));
  return store;
}

function idempotencyKey(call: ApiCall): string | undefined {
  const key = call.request.optionalString('idempotency_key');
  if (key !== undefined && key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    throw badRequest(`idempotency_key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  return key;
}

/** Publishes once per idempotency key and channel (when a key is given). */
function publishOnce(call: ApiCall, key: string | undefined, channel: ChannelName, run: () => Promise<StreamPosition>): Promise<string> {
  const go = (): Promise<string> => run().then(positionJson);
  return key === undefined ? go() : idempotencyOf(call.deps).run(channel, key, go);
}

interface PublishOptions {
  tags?: Record<string, string>;
  skipHistory?: boolean;
}

function publishOptions(call: ApiCall): PublishOptions {
  const options: PublishOptions = {};
  const tags = call.request.optionalTags('tags');
  if (tags !== undefined) options.tags = tags;
  if (call.request.optionalBoolean('skip_history')) options.skipHistory = true;
  return options;
}

const publish: ApiMethod = async (call) => {
  const { request, deps } = call;
  const channel = request.requiredString('channel');
  const key = idempotencyKey(call);
  knownChannel(deps, channel);
  const data = publicationData(call);
  const options = publishOptions(call);
  return publishOnce(call, key, channel, () => deps.publisher.publish(channel, data, options));
};

const broadcast: ApiMethod = async (call) => {
  const { request, deps } = call;
  const channels = request.requiredStrings('channels');
  const key = idempotencyKey(call);
  const data = publicationData(call);
  const options = publishOptions(call);
  const responses = new Array<string>(channels.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < channels.length) {
      const i = next++;
      const channel = channels[i]!;
      try {
        knownChannel(deps, channel);
        responses[i] = `{"result":${await publishOnce(call, key, channel, () => deps.publisher.publish(channel, data, options))}}`;
      } catch (err) {
        responses[i] = errorJson(err, deps.logger, 'broadcast');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BROADCAST_CONCURRENCY, channels.length) }, worker));
  return `{"responses":[${responses.join(',')}]}`;
};

const history: ApiMethod = async ({ request, deps }) => {
  const channel = request.requiredString('channel');
  const options = historyOptionsFor(knownChannel(deps, channel).options);
  if (options === undefined) throw new ReplyError(Errors.notAvailable, "history is disabled for this channel's namespace");
  const filter: HistoryFilter = {
    limit: request.optionalInteger('limit', -1, Number.MAX_SAFE_INTEGER, 0),
    reverse: request.optionalBoolean('reverse'),
  };
  const since = request.optionalObject('since');
  const sinceEpoch = since?.optionalString('epoch');
  if (since !== undefined)
    filter.since = { offset: since.optionalInteger('offset', 0, Number.MAX_SAFE_INTEGER, 0), epoch: sinceEpoch ?? '' };
  const page = await deps.broker.history(channel, filter, options);
  // Offsets of another epoch name other publications: continuing from them would skip or repeat.
  if (sinceEpoch !== undefined && sinceEpoch !== page.position.epoch) throw new ReplyError(Errors.unrecoverablePosition);
  const pubs = page.publications.map(publicationJson).join(',');
  return `{"publications":[${pubs}],"offset":${page.position.offset},"epoch":${JSON.stringify(page.position.epoch)}}`;
};

const historyRemove: ApiMethod = async ({ request, deps }) => {
  const channel = request.requiredString('channel');
  if (historyOptionsFor(knownChannel(deps, channel).options) === undefined) {
    throw new ReplyError(Errors.notAvailable, "history is disabled for this channel's namespace");
  }
  await deps.broker.removeHistory(channel);
  return '{}';
};

function presenceChannel({ request, deps }: ApiCall): ChannelName {
  const channel = request.requiredString('channel');
  if (!knownChannel(deps, channel).options.presence) {
    throw new ReplyError(Errors.notAvailable, "presence is disabled for this channel's namespace");
  }
  return channel;
}

const presence: ApiMethod = async (call) => {
  const entries = await call.deps.presence.presence(presenceChannel(call));
  const members = Object.entries(entries).map(([client, info]) => `${JSON.stringify(client)}:${clientInfoJson(info)}`);
  return `{"presence":{${members.join(',')}}}`;
};

const presenceStats: ApiMethod = async (call) => {
  const stats = await call.deps.presence.presenceStats(presenceChannel(call));
  return `{"num_clients":${stats.numClients},"num_users":${stats.numUsers}}`;
};

const disconnect: ApiMethod = async ({ request, deps }) => {
  const user = request.requiredString('user');
  const client = request.optionalString('client');
  request.unsupported('session');
  request.unsupported('whitelist');
  let code: number = Disconnects.forceDisconnect.code;
  let reason: string = Disconnects.forceDisconnect.reason;
  const custom = request.optionalObject('disconnect');
  if (custom !== undefined) {
    code = custom.optionalInteger('code', 3000, 4999, code);
    reason = custom.optionalString('reason') ?? '';
    if (Buffer.byteLength(reason) > MAX_REASON_BYTES) throw badRequest(`disconnect.reason must be at most ${MAX_REASON_BYTES} bytes`);
  }
  await deps.control.send({ type: 'disconnect', user, code, reason, ...(client !== undefined ? { client } : {}) });
  return '{}';
};

const unsubscribe: ApiMethod = async ({ request, deps }) => {
  const user = request.requiredString('user');
  const channel = request.requiredString('channel');
  const client = request.optionalString('client');
  request.unsupported('session');
  knownChannel(deps, channel);
  await deps.control.send({ type: 'unsubscribe', user, channel, ...(client !== undefined ? { client } : {}) });
  return '{}';
};

const info: ApiMethod = async ({ deps }) => {
  const nodes = await deps.nodes.list();
  return JSON.stringify({
    nodes: nodes.map((n) => ({
      uid: n.nodeId,
      name: n.name,
      version: n.version,
      num_clients: n.numClients,
      num_users: n.numUsers,
      num_subs: n.numSubs,
      uptime: n.uptime,
    })),
  });
};

/** Every method by its URL name (`POST /api/<name>`). */
export const API_METHODS: ReadonlyMap<string, ApiMethod> = new Map([
  ['publish', publish],
  ['broadcast', broadcast],
  ['history', history],
  ['history_remove', historyRemove],
  ['presence', presence],
  ['presence_stats', presenceStats],
  ['disconnect', disconnect],
  ['unsubscribe', unsubscribe],
  ['info', info],
]);

export { errorJson, BASE64 };
