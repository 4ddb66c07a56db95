import { useState } from 'preact/hooks';
import { errorText, get, post } from './admin-api.js';
import { usePoll } from './use-poll.js';

interface DeadLetterRow {
  entryId: string;
  error: string;
  attempts: number;
  deadAt: number;
  channel: string | null;
  kind: string | null;
  data: string | null;
}

/** Dead letters per page (the gateway's page size). */
const PAGE = 50;

/** One worker's dead letters (oldest first), each with replay and purge, and both for all of them. */
export function DeadLetters(props: { worker: string; onClose: () => void }) {
  const [message, setMessage] = useState<string | null>(null);
  /** Entry id the shown page starts after; null: the first page. */
  const [after, setAfter] = useState<string | null>(null);
  const query = `dead-letters?worker=${encodeURIComponent(props.worker)}${after !== null ? `&after=${encodeURIComponent(after)}` : ''}`;
  const { value, error, refresh } = usePoll(() => get<{ total: number; deadLetters: DeadLetterRow[] }>(query), 3000, [query]);
  const act = (action: 'replay' | 'purge', entryIds: string[] | 'all') => {
    post<{ replayed?: number; purged?: number }>(`dead-letters-action/${action}`, { worker: props.worker, entryIds }).then(
      (r) => {
        setMessage(
          action === 'replay'
            ? `Replayed ${r.replayed ?? 0} message(s) to ${props.worker}'s stream.`
            : `Purged ${r.purged ?? 0} dead letter(s).`,
        );
        refresh();
      },
      (err: unknown) => setMessage(errorText(err)),
    );
  };
  const rows = value?.deadLetters ?? [];
  return (
    <section class="card" aria-labelledby="dl-title">
      <h2 id="dl-title">
        Dead letters of <code>{props.worker}</code> ({value?.total ?? '…'})
      </h2>
      {error !== null && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
      {message !== null && <p role="status">{message}</p>}
      <div class="actions">
        <button type="button" disabled={rows.length === 0} onClick={() => act('replay', 'all')}>
          Replay all
        </button>
        <button type="button" class="danger" disabled={rows.length === 0} onClick={() => act('purge', 'all')}>
          Purge all
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
        {after !== null && (
          <button type="button" class="secondary" onClick={() => setAfter(null)}>
            First page
          </button>
        )}
        {rows.length >= PAGE && (
          <button type="button" class="secondary" onClick={() => setAfter(rows[rows.length - 1]!.entryId)}>
            Next page
          </button>
        )}
      </div>
      <div class="table-wrap">
        <table aria-label={`Dead letters of ${props.worker}`}>
          <thead>
            <tr>
              <th>Channel</th>
              <th>Error</th>
              <th>Attempts</th>
              <th>Dead since</th>
              <th>Data</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && value !== null && (
              <tr>
                <td colSpan={6} class="muted">
                  No dead letters.
                </td>
              </tr>
            )}
            {rows.map((d) => (
              <tr key={d.entryId}>
                <td>{d.channel ?? <span class="muted">(unreadable entry)</span>}</td>
                <td>{d.error}</td>
                <td>{d.attempts}</td>
                <td>{new Date(d.deadAt).toLocaleString()}</td>
                <td>
                  <code>{d.data ?? ''}</code>
                </td>
                <td>
                  <div class="actions">
                    <button type="button" class="secondary" onClick={() => act('replay', [d.entryId])} aria-label={`Replay ${d.entryId}`}>
                      Replay
                    </button>
                    <button type="button" class="secondary" onClick={() => act('purge', [d.entryId])} aria-label={`Purge ${d.entryId}`}>
                      Purge
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
