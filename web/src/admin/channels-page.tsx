import { useState } from 'preact/hooks';
import { get } from './admin-api.js';
import { count } from './format.js';
import { usePoll } from './use-poll.js';

interface ChannelRow {
  channel: string;
  subscribers: number;
}

/** Channels with subscribers, searchable; each links to its history and presence. */
export function ChannelsPage() {
  const [search, setSearch] = useState('');
  const { value, error } = usePoll(
    () => get<{ channels: ChannelRow[]; total: number; scope: string }>(`channels?search=${encodeURIComponent(search)}`),
    3000,
    [search],
  );
  return (
    <section aria-labelledby="channels-title">
      <h1 id="channels-title">Channels</h1>
      <label for="channel-search">Search channels</label>
      <input id="channel-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="chat:" />
      {error !== null && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
      <p class="muted">{value !== null ? `${value.total} channel(s) with subscribers on this node` : 'Loading…'}</p>
      <div class="table-wrap">
        <table aria-label="Channels">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Subscribers</th>
            </tr>
          </thead>
          <tbody>
            {(value?.channels ?? []).map((c) => (
              <tr key={c.channel}>
                <td>
                  <a href={`#/channel/${encodeURIComponent(c.channel)}`}>{c.channel}</a>
                </td>
                <td>{count(c.subscribers)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
