/**
 * JSON text of publications and client infos in server API responses. `bytes` fields are embedded
 * as raw JSON; bytes that are not JSON (sent by protobuf clients) appear base64-encoded under a
 * `b64`-prefixed name instead (`b64data`, `b64conn_info`), as Centrifugo's `b64data` does.
 */

import type { Bytes, ClientInfo, Publication } from '../../protocol/index.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes as JSON text, or null when they are not one valid JSON value. */
function rawJson(bytes: Bytes): string | null {
  try {
    const text = decoder.decode(bytes);
    JSON.parse(text);
    return text;
  } catch {
    return null;
  }
}

function bytesMember(name: string, bytes: Bytes): string {
  const raw = rawJson(bytes);
  if (raw !== null) return `"${name}":${raw}`;
  return `"b64${name}":"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}"`;
}

export function clientInfoJson(info: ClientInfo): string {
  let out = `{"user":${JSON.stringify(info.user)},"client":${JSON.stringify(info.client)}`;
  if (info.conn_info !== undefined && info.conn_info.length > 0) out += `,${bytesMember('conn_info', info.conn_info)}`;
  if (info.chan_info !== undefined && info.chan_info.length > 0) out += `,${bytesMember('chan_info', info.chan_info)}`;
  return `${out}}`;
}

export function publicationJson(pub: Publication): string {
  let out = `{${bytesMember('data', pub.data)}`;
  if (pub.info !== undefined) out += `,"info":${clientInfoJson(pub.info)}`;
  if (pub.offset !== undefined && pub.offset > 0) out += `,"offset":${pub.offset}`;
  if (pub.tags !== undefined && Object.keys(pub.tags).length > 0) out += `,"tags":${JSON.stringify(pub.tags)}`;
  return `${out}}`;
}
