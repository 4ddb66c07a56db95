/** The `publish`, `presence`, `presence_stats`, `history`, `rpc` and `send` commands. */

import { resolveChannel, type ResolvedChannel } from '../config/index.js';
import { historyOptionsFor, type HistoryFilter } from '../engine/index.js';
import {
  DisconnectError,
  Disconnects,
  Errors,
  ReplyError,
  parsedDataOf,
  type Bytes,
  type HistoryRequest,
  type HistoryResult,
  type PresenceRequest,
  type PresenceResult,
  type PresenceStatsRequest,
  type PresenceStatsResult,
  type PublishRequest,
  type PublishResult,
  type RPCRequest,
  type RPCResult,
  type SendRequest,
} from '../protocol/index.js';
import type { StreamMessage } from '../queue/index.js';
import { authorizeHistory, authorizePresence, authorizePublish, resolveOrThrow } from './channel-access.js';
import type { Connection } from './connection.js';
import { clientPublication } from './encoded-push.js';
import { publishPayload } from './publish-data.js';
import { submitPublication } from './publish-submit.js';
import { MAX_JSON_DEPTH, jsonPayloadText } from './publish-validation.js';

type SubmittedMessage = Omit<StreamMessage, 'id' | 'node' | 'ts'>;

const encoder = new TextEncoder();

function requireChannel(channel: string | undefined): string {
  if (channel === undefined || channel === '') throw new DisconnectError(Disconnects.badRequest);
  return channel;
}

function baseMessage(session: Connection, kind: StreamMessage['kind'], channel: string, data: string): SubmittedMessage {
  const message: SubmittedMessage = { kind, channel, data, user: session.user, client: session.id };
  if (session.connInfo !== undefined) message.connInfo = Buffer.from(session.connInfo).toString('utf8');
  return message;
}

/** The routing key of a connection's send/rpc: its user, or its client id when anonymous. */
function routingKey(session: Connection): string {
  return session.user !== '' ? `user:${session.user}` : `client:${session.id}`;
}

function temporaryFailure(session: Connection, err: unknown, what: string): ReplyError {
  if (err instanceof ReplyError) return err;
  session.ctx.logger.warn({ err, client: session.id }, `${what} failed`);
  return new ReplyError(Errors.internal);
}

export async function handlePublish(session: Connection, req: PublishRequest): Promise<PublishResult> {
  if (needsPublishProxy(session, req)) await publishThroughProxy(session, req);
  else await startPublish(session, req);
  return {};
}

/**
 * True when this publish must first be approved by the publish proxy (`publish_proxy_enabled` in
 * its namespace): such publishes are not pipelined, so the proxy call cannot reorder appends.
 */
export function needsPublishProxy(session: Connection, req: PublishRequest): boolean {
  if (req.channel === undefined || !session.ctx.proxies.has('publish')) return false;
  return resolveChannel(session.ctx.config.channel, req.channel)?.options.publishProxyEnabled === true;
}

/**
 * The publish proxy step, before the pipeline: channel and payload validation as usual, then the
 * backend's verdict in place of the namespace's `allow_publish_*` permissions (as in Centrifugo;
 * its `error`/`disconnect` reach the client; it may replace the data, which is validated again),
 * then the append. A worker's handling of the message (its verdict in `handled` mode) comes after.
 */
async function publishThroughProxy(session: Connection, req: PublishRequest): Promise<void> {
  const channel = requireChannel(req.channel);
  const resolved = resolveOrThrow(session, channel);
  const max = session.ctx.config.client.maxTextLength;
  publishPayload(resolved.options.publishData, req.data, max, parsedDataOf(req));
  const sent: Bytes = req.data ?? new Uint8Array(0);
  const verdict = await session.ctx.proxies.publish(session, channel, sent);
  await submitChecked(session, channel, resolved, verdict.data ?? sent, verdict.data === null ? parsedDataOf(req) : undefined);
}

/**
 * Checks a publish and hands it to the pipeline, all before returning (so appends leave in
 * command order); the promise settles once the message is appended. Throws synchronously when
 * the publish is refused.
 */
export function startPublish(session: Connection, req: PublishRequest): Promise<void> {
  const channel = requireChannel(req.channel);
  const resolved = resolveOrThrow(session, channel);
  authorizePublish(session, channel, resolved);
  return submitChecked(session, channel, resolved, req.data, parsedDataOf(req));
}

/** Validates the payload under the namespace's rules and hands it to the pipeline; settles once it is appended. */
function submitChecked(
  session: Connection,
  channel: string,
  resolved: ResolvedChannel,
  data: Bytes | undefined,
  parsed: unknown,
): Promise<void> {
  const o = resolved.options;
  if (o.historySize > 0 && o.historyTtlMs > 0 && !session.subscriptions.has(channel)) session.newChannels.admit(channel);
  const payload = publishPayload(o.publishData, data, session.ctx.config.client.maxTextLength, parsed);
  const message = baseMessage(session, 'publish', channel, payload.data);
  if (payload.dataEncoding !== undefined) message.dataEncoding = payload.dataEncoding;
  const started = performance.now();
  return submitPublication(session.ctx.pipeline, message, resolved.options, session.ctx.config.client.rpcTimeoutMs).then(
    () => {
      session.ctx.metrics.publishAppendDuration.observe((performance.now() - started) / 1000);
    },
    (err: unknown) => {
      throw temporaryFailure(session, err, 'publish');
    },
  );
}

export async function handlePresence(session: Connection, req: PresenceRequest): Promise<PresenceResult> {
  const channel = requireChannel(req.channel);
  authorizePresence(session, channel, resolveOrThrow(session, channel));
  return { presence: await session.ctx.presence.presence(channel) };
}

export async function handlePresenceStats(session: Connection, req: PresenceStatsRequest): Promise<PresenceStatsResult> {
  const channel = requireChannel(req.channel);
  authorizePresence(session, channel, resolveOrThrow(session, channel));
  const stats = await session.ctx.presence.presenceStats(channel);
  return { num_clients: stats.numClients, num_users: stats.numUsers };
}

export async function handleHistory(session: Connection, req: HistoryRequest): Promise<HistoryResult> {
  const channel = requireChannel(req.channel);
  const resolved = resolveOrThrow(session, channel);
  authorizeHistory(session, channel, resolved);
  const history = historyOptionsFor(resolved.options);
  if (history === undefined) throw new ReplyError(Errors.notAvailable);
  if (!session.subscriptions.has(channel)) session.newChannels.admit(channel);
  const limit = req.limit ?? 0;
  if (!Number.isInteger(limit) || limit < -1) throw new ReplyError(Errors.badRequest, 'history limit must be -1, 0 or a positive integer');
  const filter: HistoryFilter = { limit };
  if (req.reverse === true) {
    if (req.since !== undefined && req.since.offset === 0)
      throw new ReplyError(Errors.badRequest, 'reverse history needs since.offset > 0');
    filter.reverse = true;
  }
  if (req.since !== undefined) filter.since = { offset: req.since.offset, epoch: req.since.epoch };
  const page = await session.ctx.broker.history(channel, filter, history);
  if (req.since !== undefined && req.since.epoch !== '' && req.since.epoch !== page.position.epoch) {
    throw new ReplyError(Errors.unrecoverablePosition);
  }
  return { publications: page.publications.map(clientPublication), epoch: page.position.epoch, offset: page.position.offset };
}

export async function handleRpc(session: Connection, req: RPCRequest): Promise<RPCResult> {
  if (session.ctx.proxies.rpcEnabled) {
    const answer = await session.ctx.proxies.rpc(session, req.method ?? '', req.data);
    return answer === null ? {} : { data: answer };
  }
  const data = jsonPayloadText(req.data);
  if (data === null) throw new ReplyError(Errors.badRequest, `rpc data must be UTF-8 encoded JSON nested at most ${MAX_JSON_DEPTH} levels`);
  const message = baseMessage(session, 'rpc', routingKey(session), data);
  message.method = req.method ?? '';
  let answer: string;
  try {
    answer = await session.ctx.pipeline.rpc(message, session.ctx.config.client.rpcTimeoutMs);
  } catch (err) {
    throw temporaryFailure(session, err, 'rpc');
  }
  return answer === '' ? {} : { data: encoder.encode(answer) };
}

/** Fire-and-forget: a bad or undeliverable `send` is logged, never answered. */
export async function handleSend(session: Connection, req: SendRequest): Promise<void> {
  const data = jsonPayloadText(req.data);
  if (data === null) {
    session.ctx.logger.debug({ client: session.id }, 'send with non-JSON data dropped');
    return;
  }
  try {
    await session.ctx.pipeline.submit(baseMessage(session, 'send', routingKey(session), data));
  } catch (err) {
    session.ctx.logger.warn({ err, client: session.id }, 'send failed');
  }
}
