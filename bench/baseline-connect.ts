/**
 * The connect benchmark's floor: the least a server can do for an authenticated Centrifuge JSON
 * connect. A `ws` server (no compression) verifies the `connect` command's token with jose, as the
 * gateway does (token-verifier.ts: keys imported once at start, the HMAC secret as bytes, the RSA
 * key as a KeyObject, the algorithm pinned to the key: HS256 only with the secret, RS256 only with
 * the public key), checks `exp`, and replies with a ConnectResult shaped like the gateway's. An
 * expired token gets reply error 109, any other bad token close 3500. It answers `ping` commands
 * and sends server pings; no channels, presence, limits or metrics.
 *
 * Run: `BASELINE_PORT=8100 CONNECT_HMAC_SECRET=… CONNECT_RSA_PUBLIC_KEY="$(cat pub.pem)" node dist/bench/baseline-connect.js`.
 */

import { createPublicKey, randomUUID, webcrypto, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.BASELINE_PORT ?? 8100);
const secret = process.env.CONNECT_HMAC_SECRET ?? '';
const rsaPem = process.env.CONNECT_RSA_PUBLIC_KEY ?? '';
/** Reported in the ConnectResult, as the gateway reports its own. */
const version = process.env.BASELINE_VERSION ?? '0.0.0';
const pingIntervalMs = Number(process.env.BASELINE_PING_INTERVAL_MS ?? 25_000);
if (secret === '' && rsaPem === '') throw new Error('set CONNECT_HMAC_SECRET and/or CONNECT_RSA_PUBLIC_KEY');

// Imported once, in the forms the gateway's TokenVerifier holds them.
const hmacKey: webcrypto.CryptoKey | null =
  secret === ''
    ? null
    : await webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const rsaKey: KeyObject | null = rsaPem === '' ? null : createPublicKey(rsaPem);
const ALGORITHMS = [...(hmacKey === null ? [] : ['HS256']), ...(rsaKey === null ? [] : ['RS256'])];

/** The key for the header's `alg`: each key verifies its own algorithm only. */
function keyFor(header: JWTHeaderParameters): webcrypto.CryptoKey | KeyObject {
  if (header.alg === 'HS256' && hmacKey !== null) return hmacKey;
  if (header.alg === 'RS256' && rsaKey !== null) return rsaKey;
  throw new errors.JOSEAlgNotAllowed('unsupported algorithm');
}

/** Verifies `token`: its `exp` (Unix s; null: none), or `expired` / `invalid`. */
async function verify(token: string): Promise<{ exp: number | null } | 'expired' | 'invalid'> {
  try {
    const { payload } = await jwtVerify(token, keyFor, { algorithms: ALGORITHMS });
    const exp = payload.exp ?? null;
    // jose checks `exp` already (with no clock tolerance); checked again as the gateway does.
    if (exp !== null && exp * 1000 <= Date.now()) return 'expired';
    return { exp };
  } catch (err) {
    return err instanceof errors.JWTExpired ? 'expired' : 'invalid';
  }
}

interface Command {
  id?: number;
  connect?: { token?: string };
  ping?: unknown;
}

/** The connect command: the reply, error 109, or close 3500 / 3501. */
async function connect(ws: WebSocket, id: number, token: string): Promise<void> {
  if (token === '') {
    ws.close(3501, 'bad request');
    return;
  }
  const verdict = await verify(token);
  if (verdict === 'invalid') ws.close(3500, 'invalid token');
  else if (verdict === 'expired') ws.send(`{"id":${id},"error":{"code":109,"message":"token expired"}}`);
  else {
    const ttl = verdict.exp === null ? '' : `,"expires":true,"ttl":${Math.max(0, Math.ceil(verdict.exp - Date.now() / 1000))}`;
    const ping = Math.ceil(pingIntervalMs / 1000);
    ws.send(`{"id":${id},"connect":{"client":"${randomUUID()}","version":${JSON.stringify(version)}${ttl},"ping":${ping},"pong":true}}`);
  }
}

/** One frame: commands separated by newlines; `{}` is a pong and needs no answer. */
function onFrame(ws: WebSocket, frame: Buffer): void {
  for (const line of frame.toString('utf8').split('\n')) {
    if (line === '') continue;
    let cmd: Command;
    try {
      cmd = JSON.parse(line) as Command;
    } catch {
      ws.close(3501, 'bad request');
      return;
    }
    const id = cmd.id ?? 0;
    if (cmd.connect !== undefined) void connect(ws, id, cmd.connect.token ?? '');
    else if (cmd.ping !== undefined) ws.send(`{"id":${id},"ping":{}}`);
  }
}

const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (frame: Buffer) => onFrame(ws, frame));
});
// Server pings like the gateway's (WS_PING_INTERVAL); the client's `{}` pongs are read and dropped.
const pings = setInterval(() => {
  for (const ws of wss.clients) ws.send('{}');
}, pingIntervalMs);
wss.on('listening', () => console.log(`baseline connect server on ws://127.0.0.1:${port}/connection/websocket (${ALGORITHMS.join(', ')})`));

const stop = (): void => {
  clearInterval(pings);
  wss.close();
  for (const ws of wss.clients) ws.terminate();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
