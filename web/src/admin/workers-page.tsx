import { useState } from 'preact/hooks';
import { get } from './admin-api.js';
import { DeadLetters } from './dead-letters.js';
import { count, duration } from './format.js';
import { usePoll } from './use-poll.js';

interface StreamInfo {
  length: number;
  lag: number;
  pending: number;
}
interface WorkerRow {
  id: string;
  state: 'alive' | 'silent' | 'retired';
  sinceMs: number;
  stream: StreamInfo | null;
  deadLetters: number | null;
  pool: string;
}

const STATE_TEXT = { alive: 'alive', silent: 'no heartbeat', retired: 'retired (draining)' } as const;

/** Workers with their stream's length, lag (not yet read), pending (read, not acknowledged) and dead letters. */
export function WorkersPage() {
  const { value, error } = usePoll(() => get<{ workers: WorkerRow[] }>('workers'), 2000);
  const workers = value?.workers ?? [];
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="workers-title">
      <h1 id="workers-title">Workers</h1>
      {error !== null && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="Workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Pool</th>
              <th>State</th>
              <th>Stream length</th>
              <th>Lag</th>
              <th>Pending</th>
              <th>Dead letters</th>
            </tr>
          </thead>
          <tbody>
            {workers.length === 0 && value !== null && (
              <tr>
                <td colSpan={7} class="muted">
                  No worker has registered.
                </td>
              </tr>
            )}
            {workers.map((w) => (
              <tr key={w.id}>
                <td>
                  <code>{w.id}</code>
                </td>
                <td>{w.pool}</td>
                <td class={`state-${w.state}`}>
                  {STATE_TEXT[w.state]}
                  {w.state !== 'alive' ? ` for ${duration(w.sinceMs / 1000)}` : ''}
                </td>
                <td>{count(w.stream?.length)}</td>
                <td aria-label={`lag of ${w.id}`}>{count(w.stream?.lag)}</td>
                <td>{count(w.stream?.pending)}</td>
                <td>
                  {count(w.deadLetters)}{' '}
                  {(w.deadLetters ?? 0) > 0 && (
                    <button type="button" class="secondary" onClick={() => setOpen(w.id)} aria-label={`Dead letters of ${w.id}`}>
                      Show
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open !== null && <DeadLetters worker={open} onClose={() => setOpen(null)} />}
      <p class="muted">
        Lag: entries not yet read by the worker. Pending: read but not yet acknowledged. A worker without a heartbeat keeps its channels
        until it is retired; its lag grows meanwhile.
      </p>
    </section>
  );
}
