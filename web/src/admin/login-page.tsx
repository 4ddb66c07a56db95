import { useState } from 'preact/hooks';
import { errorText, post } from './admin-api.js';

/** Password form; the gateway refuses wrong passwords and slows down repeated failures. */
export function LoginPage(props: { onLoggedIn: () => void }) {
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    post('login', { password })
      .then(
        () => {
          setProblem(null);
          props.onLoggedIn();
        },
        (err: unknown) => setProblem(errorText(err)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <div class="page">
      <form class="card join" onSubmit={submit}>
        <h1>Realtime Message admin</h1>
        <label for="admin-password">Password</label>
        <input
          id="admin-password"
          type="password"
          autoComplete="current-password"
          required
          autoFocus
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {problem !== null && (
          <p class="problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <p class="hint">The password is the gateway's ADMIN_PASSWORD.</p>
      </form>
    </div>
  );
}
