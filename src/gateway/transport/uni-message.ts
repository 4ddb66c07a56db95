/**
 * The unidirectional wire form (uni_websocket, uni_http_stream, uni_sse; JSON): every message is a
 * Push object on its own (`{"channel":"news","pub":{...}}`, `{"connect":{...}}`), pings are `{}`,
 * and the client's only message is a bare ConnectRequest.
 */

const PUSH_PREFIX = Buffer.from('{"push":');

/** A JSON Reply carrying a push, unwrapped to the Push itself; other messages (pings) unchanged. */
export function uniMessage(message: Buffer): Buffer {
  if (
    message.length > PUSH_PREFIX.length &&
    message[message.length - 1] === 0x7d &&
    message.subarray(0, PUSH_PREFIX.length).equals(PUSH_PREFIX)
  ) {
    return message.subarray(PUSH_PREFIX.length, message.length - 1);
  }
  return message;
}

/**
 * The connect command frame for a unidirectional client's ConnectRequest JSON (`{}` when empty).
 * Raw line breaks, legal only as whitespace in JSON, are blanked so the frame stays one line.
 */
export function uniConnectFrame(connectRequest: Buffer): Buffer {
  const body = connectRequest.length === 0 ? Buffer.from('{}') : Buffer.from(connectRequest);
  for (let i = 0; i < body.length; i++) if (body[i] === 0x0a || body[i] === 0x0d) body[i] = 0x20;
  return Buffer.concat([Buffer.from('{"id":1,"connect":'), body, Buffer.from('}')]);
}
