import { useState } from 'preact/hooks';
import { callMethod, errorText } from './admin-api.js';

/** Publishes a JSON value to a channel through the server API's `publish` method. */
export function PublishPage() {
  const [channel, setChannel] = useState('chat:lobby');
  const [data, setData] = useState('{"text": "Hello from the admin console", "name": "admin"}');
  const [result, setResult] = useState<{ text: string; channel: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      setProblem('Data must be valid JSON.');
      return;
    }
    callMethod<{ offset: number; epoch: string }>('publish', { channel: channel.trim(), data: value }).then(
      (r) => {
        setProblem(null);
        setResult({ text: `Published at offset ${r.offset} (epoch ${r.epoch}).`, channel: channel.trim() });
      },
      (err: unknown) => {
        setResult(null);
        setProblem(errorText(err));
      },
    );
  };
  return (
    <section aria-labelledby="publish-title">
      <h1 id="publish-title">Publish</h1>
      <form class="form-grid" onSubmit={submit}>
        <label for="publish-channel">Channel</label>
        <input id="publish-channel" required value={channel} onInput={(e) => setChannel(e.currentTarget.value)} />
        <label for="publish-data">Data (JSON)</label>
        <textarea id="publish-data" rows={6} value={data} onInput={(e) => setData(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit">Publish</button>
        </div>
      </form>
      {problem !== null && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {result !== null && (
        <p role="status">
          {result.text} <a href={`#/channel/${encodeURIComponent(result.channel)}`}>Show {result.channel}</a>
        </p>
      )}
    </section>
  );
}
