/** Chat payloads on the wire: JSON values with the JSON client, UTF-8 JSON bytes with the protobuf one. */

export type Encoding = 'json' | 'protobuf';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePayload(encoding: Encoding, value: unknown): unknown {
  return encoding === 'json' ? value : encoder.encode(JSON.stringify(value));
}

/** The received value, or null when it is not JSON. */
export function decodePayload(data: unknown): unknown {
  if (!(data instanceof Uint8Array)) return data;
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return null;
  }
}

export function stringField(value: unknown, name: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === 'string' ? field : null;
}
