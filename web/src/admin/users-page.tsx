import { useState } from 'preact/hooks';
import { callMethod, errorText } from './admin-api.js';

/** Disconnects a user, or unsubscribes them from a channel, on every node (server API `disconnect` / `unsubscribe`). */
export function UsersPage() {
  const [user, setUser] = useState('');
  const [channel, setChannel] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = (method: 'disconnect' | 'unsubscribe') => {
    const body: Record<string, unknown> = { user: user.trim() };
    if (method === 'unsubscribe') body['channel'] = channel.trim();
    callMethod(method, body).then(
      () =>
        setMessage({
          ok: true,
          text:
            method === 'disconnect' ? `Disconnected ${user.trim()} on every node.` : `Unsubscribed ${user.trim()} from ${channel.trim()}.`,
        }),
      (err: unknown) => setMessage({ ok: false, text: errorText(err) }),
    );
  };
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          run('disconnect');
        }}
      >
        <label for="user-id">User id</label>
        <input id="user-id" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        <label for="user-channel">Channel (for unsubscribe)</label>
        <input id="user-channel" value={channel} onInput={(e) => setChannel(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="danger">
            Disconnect user
          </button>
          <button type="button" class="secondary" disabled={channel.trim() === '' || user.trim() === ''} onClick={() => run('unsubscribe')}>
            Unsubscribe from channel
          </button>
        </div>
      </form>
      {message !== null && (
        <p class={message.ok ? '' : 'problem'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <p class="muted">Anonymous connections have an empty user id and cannot be addressed here.</p>
    </section>
  );
}
