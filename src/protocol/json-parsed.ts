/**
 * The already parsed value of a JSON command's raw `data` bytes, kept by the JSON decoder on the
 * request object so that a consumer validating the payload does not parse it a second time.
 */

/** A request decoded from JSON may carry its data's parsed value under this member (not part of the protocol types). */
interface WithParsedData {
  parsedData?: unknown;
}

/** Records `value` as what the request's raw `data` parses to (non-enumerable: the decoded request still equals its protocol shape). */
export function rememberParsedData(request: object, value: unknown): void {
  Object.defineProperty(request, 'parsedData', { value, enumerable: false, writable: false, configurable: false });
}

/** The parsed value of the request's `data` when the JSON decoder produced it; undefined otherwise (parse it yourself). */
export function parsedDataOf(request: object): unknown {
  return (request as WithParsedData).parsedData;
}
