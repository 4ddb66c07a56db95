/**
 * Fossil delta compression of a subscription's publications (subscribe `delta: "fossil"`,
 * namespace `allowed_delta_types`), in the form centrifuge-js decodes: in JSON every
 * publication's `data` is a JSON string (the full JSON text, or the delta's text when
 * `delta: true`); in protobuf `data` is the full payload or the delta bytes.
 */

import { isUtf8 } from 'node:buffer';
import { createDelta } from 'fossil-delta';
import type { Publication } from '../protocol/index.js';

/** The JSON-string form of a payload's text: the client parses it with JSON.parse(pub.data). */
function jsonStringOf(bytes: Uint8Array): Buffer {
  return Buffer.from(JSON.stringify(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')), 'utf8');
}

/**
 * Whether a payload is JSON text, which a JSON delta subscriber can carry. Anything else is left
 * as it is, so the JSON encoder refuses it with 3506 as it does for subscribers without delta.
 */
function isJsonText(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isUtf8(b)) return false;
  try {
    JSON.parse(b.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** A publication as a delta subscriber receives it, per protocol. */
export interface DeltaPublication {
  json: Publication;
  protobuf: Publication;
}

/**
 * The publication `pub` for a subscriber that last received `base` (null: nothing yet since it
 * subscribed): a fossil delta against `base` when that is smaller than the payload, else the full
 * payload. JSON falls back to the full payload also when the delta is not valid UTF-8 text (it
 * travels inside a JSON string).
 */
export function deltaPublication(pub: Publication, base: Uint8Array | null): DeltaPublication {
  const json = isJsonText(pub.data);
  const full: DeltaPublication = {
    json: json ? { ...pub, data: jsonStringOf(pub.data) } : pub,
    protobuf: pub,
  };
  if (base === null) return full;
  const delta = createDelta(base, pub.data);
  if (delta.length >= pub.data.length) return full;
  const deltaBytes = Buffer.from(delta.buffer, delta.byteOffset, delta.byteLength);
  return {
    json: json && isUtf8(deltaBytes) ? { ...pub, data: jsonStringOf(deltaBytes), delta: true } : full.json,
    protobuf: { ...pub, data: deltaBytes, delta: true },
  };
}

/** Recovered publications of a delta subscription: the first full, each next one against the one before. */
export function deltaPublications(pubs: readonly Publication[], base: Uint8Array | null): { json: Publication[]; protobuf: Publication[] } {
  const json: Publication[] = [];
  const protobuf: Publication[] = [];
  let prev = base;
  for (const p of pubs) {
    const d = deltaPublication(p, prev);
    json.push(d.json);
    protobuf.push(d.protobuf);
    prev = p.data;
  }
  return { json, protobuf };
}
