/**
 * The already parsed value of a JSON command's raw `data` bytes, kept by the JSON decoder so that a
 * consumer validating the payload does not parse it a second time.
 */

const parsed = new WeakMap<Uint8Array, unknown>();

/** Records `value` as what `data` (raw bytes copied out of a parsed line) parses to. */
export function rememberParsedData(data: Uint8Array, value: unknown): void {
  parsed.set(data, value);
}

/** The parsed value of `data` when it came from the JSON decoder; undefined otherwise (parse it yourself). */
export function parsedDataOf(data: Uint8Array): unknown {
  return parsed.get(data);
}
