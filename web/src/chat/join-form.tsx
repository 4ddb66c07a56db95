import { useState } from 'preact/hooks';
import type { Encoding } from '../shared/payload.js';
import type { DemoAuth } from './demo-auth.js';

export interface JoinChoice {
  name: string;
  room: string;
  encoding: Encoding;
  token: string;
}

const ROOM = /^[A-Za-z0-9_.-]{1,64}$/;
const NAME = /^[\p{L}\p{N} _.-]{1,32}$/u;

/** Name, room and encoding; with `token-required` also a pasted connection token. */
export function JoinForm(props: { auth: DemoAuth; initial: Partial<JoinChoice>; onJoin: (choice: JoinChoice) => void }) {
  const [name, setName] = useState(props.initial.name ?? '');
  const [room, setRoom] = useState(props.initial.room ?? 'lobby');
  const [encoding, setEncoding] = useState<Encoding>(props.initial.encoding ?? 'json');
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    const n = name.trim();
    if (!NAME.test(n)) return setProblem('Name: 1 to 32 letters, digits, spaces, "_", "." or "-".');
    if (!ROOM.test(room)) return setProblem('Room: 1 to 64 letters, digits, "_", "." or "-".');
    if (props.auth === 'token-required' && token.trim() === '') return setProblem('This gateway needs a connection token (see below).');
    setProblem(null);
    props.onJoin({ name: n, room, encoding, token: token.trim() });
  };

  return (
    <form class="card join" onSubmit={submit} aria-labelledby="join-title">
      <h1 id="join-title">Join the chat</h1>
      <label for="join-name">Name</label>
      <input
        id="join-name"
        name="name"
        autoComplete="nickname"
        required
        maxLength={32}
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
        autoFocus
      />
      <label for="join-room">Room</label>
      <input
        id="join-room"
        name="room"
        required
        maxLength={64}
        value={room}
        onInput={(e) => setRoom(e.currentTarget.value)}
        aria-describedby="room-hint"
      />
      <p id="room-hint" class="hint">
        The channel is <code>chat:{room || '…'}</code>.
      </p>
      <label for="join-encoding">Encoding</label>
      <select id="join-encoding" value={encoding} onChange={(e) => setEncoding(e.currentTarget.value as Encoding)}>
        <option value="json">JSON</option>
        <option value="protobuf">Protobuf</option>
      </select>
      {props.auth === 'token-required' && (
        <>
          <label for="join-token">Connection token</label>
          <textarea id="join-token" rows={3} value={token} onInput={(e) => setToken(e.currentTarget.value)} aria-describedby="token-hint" />
          <p id="token-hint" class="hint">
            This gateway verifies connection JWTs (CENTRIFUGO_TOKEN_HMAC_SECRET_KEY is set). Your app's backend issues them after its own
            login; paste one here. For development only, start the gateway with CHAT_DEMO_TOKENS=true and the demo asks the gateway for one.
          </p>
        </>
      )}
      {props.auth === 'dev-tokens' && (
        <p class="hint">Development mode: the gateway signs a token for the name you enter (CHAT_DEMO_TOKENS).</p>
      )}
      {problem !== null && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <button type="submit">Join</button>
    </form>
  );
}
