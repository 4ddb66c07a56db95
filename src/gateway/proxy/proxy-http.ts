/**
 * One HTTP proxy call to the application backend in Centrifugo's format: POST a JSON request,
 * read `{"result": …}`, `{"error": {code, message, temporary}}` or `{"disconnect": {code, reason}}`.
 * A backend `error` becomes that ReplyError, `disconnect` that DisconnectError; a backend that is
 * down, slow past the timeout or answering garbage is a temporary internal error (100).
 */

import type { ProxyEndpoint } from '../../config/index.js';
import { DisconnectError, Errors, ReplyError } from '../../protocol/index.js';

export type ProxyResult = Record<string, unknown>;

/** Why a proxy call did not produce an answer (for logs and metrics; never payloads). */
export class ProxyUnavailableError extends ReplyError {
  constructor(readonly why: string) {
    super(Errors.internal);
    this.name = 'ProxyUnavailableError';
  }
}

/** Largest backend answer read, bytes. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const MAX_REASON_BYTES = 123;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function backendError(value: unknown): ReplyError {
  if (
    !isObject(value) ||
    typeof value['code'] !== 'number' ||
    !Number.isInteger(value['code']) ||
    value['code'] < 0 ||
    value['code'] > 0xffffffff
  ) {
    return new ProxyUnavailableError('malformed error');
  }
  const message = typeof value['message'] === 'string' ? value['message'] : '';
  return new ReplyError({ code: value['code'], message, temporary: value['temporary'] === true });
}

function backendDisconnect(value: unknown): DisconnectError | ReplyError {
  if (
    !isObject(value) ||
    typeof value['code'] !== 'number' ||
    !Number.isInteger(value['code']) ||
    value['code'] < 3000 ||
    value['code'] > 4999
  ) {
    return new ProxyUnavailableError('malformed disconnect');
  }
  let reason = typeof value['reason'] === 'string' ? value['reason'] : '';
  while (Buffer.byteLength(reason) > MAX_REASON_BYTES) reason = reason.slice(0, -1);
  return new DisconnectError({ code: value['code'], reason }, reason);
}

/**
 * Calls `proxy` with `body` plus the forwarded client `headers`; resolves with `result` (an
 * object, `{}` when absent) or rejects with ReplyError / DisconnectError as described above.
 */
export async function callProxy(
  proxy: ProxyEndpoint,
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string>>,
): Promise<ProxyResult> {
  const sent: Record<string, string> = { ...proxy.staticHeaders };
  for (const name of proxy.httpHeaders) {
    const v = headers[name];
    if (v !== undefined) sent[name] = v;
  }
  sent['content-type'] = 'application/json';
  let text: string;
  try {
    const res = await fetch(proxy.endpoint, {
      method: 'POST',
      headers: sent,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(proxy.timeoutMs),
      redirect: 'error',
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      const t = proxy.statusTransforms.find((x) => x.statusCode === res.status);
      if (t?.toDisconnect !== undefined) throw new DisconnectError(t.toDisconnect, t.toDisconnect.reason);
      if (t?.toError !== undefined) throw new ReplyError(t.toError);
      throw new ProxyUnavailableError(`status ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > MAX_ANSWER_BYTES) {
      await res.body?.cancel();
      throw new ProxyUnavailableError('answer too large');
    }
    text = await res.text();
  } catch (err) {
    if (err instanceof ReplyError || err instanceof DisconnectError) throw err;
    throw new ProxyUnavailableError((err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
  }
  if (text.length > MAX_ANSWER_BYTES) throw new ProxyUnavailableError('answer too large');
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new ProxyUnavailableError('answer is not JSON');
  }
  if (!isObject(answer)) throw new ProxyUnavailableError('answer is not a JSON object');
  if (answer['disconnect'] !== undefined && answer['disconnect'] !== null) throw backendDisconnect(answer['disconnect']);
  if (answer['error'] !== undefined && answer['error'] !== null) throw backendError(answer['error']);
  const result = answer['result'];
  if (result === undefined || result === null) return {};
  if (!isObject(result)) throw new ProxyUnavailableError('result is not an object');
  return result;
}
