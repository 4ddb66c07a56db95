import { useState } from 'preact/hooks';
import { callMethod } from './admin-api.js';
import { usePoll } from './use-poll.js';

interface ClientInfo {
  user: string;
  client: string;
}
interface Publication {
  data?: unknown;
  b64data?: string;
  info?: ClientInfo;
  offset?: number;
}

/** One channel: who is subscribed (presence) and its latest history. */
export function ChannelPage(props: { channel: string }) {
  const [channel, setChannel] = useState(props.channel);
  const [draft, setDraft] = useState(props.channel);
  const presence = usePoll(() => callMethod<{ presence: Record<string, ClientInfo> }>('presence', { channel }), 3000, [channel]);
  const history = usePoll(
    () => callMethod<{ publications: Publication[]; offset: number; epoch: string }>('history', { channel, limit: 50, reverse: true }),
    3000,
    [channel],
  );
  const members = Object.values(presence.value?.presence ?? {});
  return (
    <section aria-labelledby="channel-title">
      <h1 id="channel-title">
        Channel <code>{channel}</code>
      </h1>
      <form
        class="actions"
        onSubmit={(e) => {
          e.preventDefault();
          setChannel(draft.trim());
          location.hash = `#/channel/${encodeURIComponent(draft.trim())}`;
        }}
      >
        <label for="channel-name" class="sr-only">
          Channel name
        </label>
        <input id="channel-name" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit">Show</button>
      </form>
      <h2>Presence ({members.length})</h2>
      {presence.error !== null && (
        <p class="problem" role="alert">
          Presence: {presence.error}
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="Presence">
          <thead>
            <tr>
              <th>User</th>
              <th>Client</th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.client}>
                <td>{m.user === '' ? <span class="muted">anonymous</span> : m.user}</td>
                <td>
                  <code>{m.client}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>History (latest 50{history.value !== null ? `, epoch ${history.value.epoch}, offset ${history.value.offset}` : ''})</h2>
      {history.error !== null && (
        <p class="problem" role="alert">
          History: {history.error}
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="History">
          <thead>
            <tr>
              <th>Offset</th>
              <th>From</th>
              <th>Data</th>
            </tr>
          </thead>
          <tbody>
            {(history.value?.publications ?? []).map((p, i) => (
              <tr key={p.offset ?? i}>
                <td>{p.offset ?? ''}</td>
                <td>{p.info !== undefined ? p.info.user || p.info.client.slice(0, 8) : <span class="muted">server</span>}</td>
                <td>
                  <code>{p.data !== undefined ? JSON.stringify(p.data) : `base64 ${p.b64data ?? ''}`}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
