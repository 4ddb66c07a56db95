/**
 * Stream entry schema v1 (docs/stream-schema.md): a flat list of string fields so that a worker
 * in any language can read it with plain XREADGROUP.
 */

import type { MessageKind, StreamMessage } from './message.js';

export const streamSchemaVersion = '1';

const kinds: ReadonlySet<string> = new Set<MessageKind>(['publish', 'send', 'rpc']);

/** XADD field/value arguments for a message. */
export function encodeStreamEntry(m: StreamMessage): string[] {
  const fields = [
    'v',
    streamSchemaVersion,
    'id',
    m.id,
    'kind',
    m.kind,
    'channel',
    m.channel,
    'data',
    m.data,
    'user',
    m.user,
    'client',
    m.client,
    'node',
    m.node,
    'ts',
    String(m.ts),
  ];
  if (m.connInfo !== undefined) fields.push('conn_info', m.connInfo);
  if (m.method !== undefined) fields.push('method', m.method);
  if (m.replyTo !== undefined) fields.push('reply_to', m.replyTo);
  if (m.dataEncoding !== undefined) fields.push('data_encoding', m.dataEncoding);
  if (m.after !== undefined) fields.push('after_worker', m.after.worker, 'after_id', m.after.entryId);
  return fields;
}

/**
 * Field list as read from Redis -> message; null when the entry is not a valid v1 message.
 * Long on purpose: one flat scan over the fields and one check per field, on the hot path of every read.
 */
export function decodeStreamEntry(fields: readonly string[]): StreamMessage | null {
  // A plain scan instead of a Map: this runs for every entry a worker reads. A repeated field keeps its last value.
  let v: string | undefined, id: string | undefined, kind: string | undefined, channel: string | undefined, ts: string | undefined;
  let data = '',
    user = '',
    client = '',
    node = '';
  let connInfo: string | undefined, method: string | undefined, replyTo: string | undefined, dataEncoding: string | undefined;
  let afterWorker: string | undefined, afterId: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case 'v':
        v = value;
        break;
      case 'id':
        id = value;
        break;
      case 'kind':
        kind = value;
        break;
      case 'channel':
        channel = value;
        break;
      case 'data':
        data = value;
        break;
      case 'user':
        user = value;
        break;
      case 'client':
        client = value;
        break;
      case 'node':
        node = value;
        break;
      case 'ts':
        ts = value;
        break;
      case 'conn_info':
        connInfo = value;
        break;
      case 'method':
        method = value;
        break;
      case 'reply_to':
        replyTo = value;
        break;
      case 'data_encoding':
        dataEncoding = value;
        break;
      case 'after_worker':
        afterWorker = value;
        break;
      case 'after_id':
        afterId = value;
        break;
      default:
        break;
    }
  }
  const tsMs = Number(ts);
  if (
    v !== streamSchemaVersion ||
    id === undefined ||
    kind === undefined ||
    !kinds.has(kind) ||
    channel === undefined ||
    !Number.isFinite(tsMs) ||
    (dataEncoding !== undefined && dataEncoding !== 'base64')
  ) {
    return null;
  }
  const m: StreamMessage = { id, kind: kind as MessageKind, channel, data, user, client, node, ts: tsMs };
  if (connInfo !== undefined) m.connInfo = connInfo;
  if (method !== undefined) m.method = method;
  if (replyTo !== undefined) m.replyTo = replyTo;
  if (dataEncoding !== undefined) m.dataEncoding = 'base64';
  if (afterWorker !== undefined && afterId !== undefined) m.after = { worker: afterWorker, entryId: afterId };
  return m;
}
