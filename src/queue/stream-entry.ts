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
    'v', streamSchemaVersion, 'id', m.id, 'kind', m.kind, 'channel', m.channel, 'data', m.data,
    'user', m.user, 'client', m.client, 'node', m.node, 'ts', String(m.ts),
  ];
  if (m.connInfo !== undefined) fields.push('conn_info', m.connInfo);
  if (m.method !== undefined) fields.push('method', m.method);
  if (m.replyTo !== undefined) fields.push('reply_to', m.replyTo);
  return fields;
}

/** Field list as read from Redis -> message; null when the entry is not a valid v1 message. */
export function decodeStreamEntry(fields: readonly string[]): StreamMessage | null {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
  const id = f.get('id');
  const kind = f.get('kind');
  const channel = f.get('channel');
  const ts = Number(f.get('ts'));
  if (f.get('v') !== streamSchemaVersion || id === undefined || kind === undefined || !kinds.has(kind)
    || channel === undefined || !Number.isFinite(ts)) {
    return null;
  }
  const m: StreamMessage = {
    id, kind: kind as MessageKind, channel, data: f.get('data') ?? '', user: f.get('user') ?? '',
    client: f.get('client') ?? '', node: f.get('node') ?? '', ts,
  };
  const connInfo = f.get('conn_info');
  if (connInfo !== undefined) m.connInfo = connInfo;
  const method = f.get('method');
  if (method !== undefined) m.method = method;
  const replyTo = f.get('reply_to');
  if (replyTo !== undefined) m.replyTo = replyTo;
  return m;
}
