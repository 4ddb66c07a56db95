import { get, type MethodReply } from './admin-api.js';
import { count, duration, rate } from './format.js';
import { RateChart } from './rate-chart.js';
import { usePoll } from './use-poll.js';

interface NodeInfo {
  uid: string;
  name: string;
  version: string;
  num_clients: number;
  num_users: number;
  num_subs: number;
  uptime: number;
}
type Counters = Record<'messagesIn' | 'messagesOut' | 'processed' | 'connects', number | null>;
interface Overview {
  mode: string;
  nodeId: string;
  at: number;
  counters: Counters;
  info: MethodReply<{ nodes: NodeInfo[] }>;
}
interface Sample {
  at: number;
  counters: Counters;
}

const SAMPLES = 60;
/** Kept across page changes, so the rates have a history when the page is opened again. */
let samples: Sample[] = [];

function perSecond(samples: readonly Sample[], key: keyof Counters): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const va = a.counters[key];
    const vb = b.counters[key];
    if (va === null || vb === null || b.at <= a.at) continue;
    out.push(Math.max(0, ((vb - va) * 1000) / (b.at - a.at)));
  }
  return out;
}

/** Gateways with their connections, subscriptions, uptime and version; this node's live message rates. */
export function NodesPage() {
  const { value, error } = usePoll(async () => {
    const o = await get<Overview>('overview');
    samples = [...samples, { at: o.at, counters: o.counters }].slice(-SAMPLES);
    return o;
  }, 2000);
  const nodes = value?.info.result?.nodes ?? [];
  const series = (['messagesIn', 'messagesOut', 'processed'] as const).map((key) => ({ key, values: perSecond(samples, key) }));
  const labels = {
    messagesIn: 'Messages in (from clients)',
    messagesOut: 'Messages out (to clients)',
    processed: 'Processed by in-process workers',
  } as const;
  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      {error !== null && (
        <p class="problem" role="alert">
          {error}
        </p>
      )}
      {value !== null && (
        <p class="muted">
          Mode: {value.mode} · this node: <code>{value.nodeId}</code>
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="Gateway nodes">
          <thead>
            <tr>
              <th>Node</th>
              <th>Version</th>
              <th>Connections</th>
              <th>Users</th>
              <th>Subscriptions</th>
              <th>Uptime</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.uid}>
                <td>
                  <code>{n.name}</code>
                  {n.uid === value?.nodeId ? ' (this node)' : ''}
                </td>
                <td>{n.version}</td>
                <td>{count(n.num_clients)}</td>
                <td>{count(n.num_users)}</td>
                <td>{count(n.num_subs)}</td>
                <td>{duration(n.uptime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Live message rates (this node)</h2>
      <div class="grid">
        {series
          .filter((s) => value === null || value.counters[s.key] !== null)
          .map((s) => (
            <div class="stat" key={s.key}>
              <div class="muted">{labels[s.key]}</div>
              <div class="value" aria-label={`${labels[s.key]} per second`}>
                {rate(s.values.length > 0 ? s.values[s.values.length - 1]! : null)}
              </div>
              <RateChart values={s.values} label={labels[s.key]} />
            </div>
          ))}
      </div>
    </section>
  );
}
