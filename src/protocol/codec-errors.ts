/** Errors raised by the wire codecs. */

import { ErrorCodes, RealtimeError } from '../errors/index.js';
import { DisconnectError, Disconnects } from './codes.js';

/**
 * An inbound frame that is not a valid sequence of commands (bad JSON, bad varint or length, truncated
 * message, a field of the wrong type, a frame with no command): ERR_PROTOCOL_DECODE. The gateway closes with `3501 bad request`.
 */
export class ProtocolDecodeError extends RealtimeError {
  constructor(message: string) {
    super(ErrorCodes.PROTOCOL_DECODE, message);
  }
}

/**
 * A payload that cannot be embedded in a JSON reply (empty after whitespace, or binary). It is a
 * DisconnectError carrying `3506 inappropriate protocol`; `detail` says what was wrong.
 */
export class InappropriateProtocolError extends DisconnectError {
  readonly detail: string;
  constructor(detail: string) {
    super(Disconnects.inappropriateProtocol);
    this.name = 'InappropriateProtocolError';
    this.detail = detail;
  }
}
