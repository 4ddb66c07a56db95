import { useEffect, useState } from 'preact/hooks';
import { get, post } from './admin-api.js';
import { ChannelPage } from './channel-page.js';
import { ChannelsPage } from './channels-page.js';
import { LoginPage } from './login-page.js';
import { NodesPage } from './nodes-page.js';
import { PublishPage } from './publish-page.js';
import { UsersPage } from './users-page.js';
import { WorkersPage } from './workers-page.js';

const PAGES = [
  ['nodes', 'Nodes'],
  ['workers', 'Workers'],
  ['channels', 'Channels'],
  ['channel', 'Channel'],
  ['publish', 'Publish'],
  ['users', 'Users'],
] as const;
type PageId = (typeof PAGES)[number][0];

function route(): { page: PageId; arg: string } {
  const [, page = 'nodes', ...rest] = location.hash.replace(/^#/, '').split('/');
  const known = PAGES.find(([id]) => id === page);
  return { page: known?.[0] ?? 'nodes', arg: decodeURIComponent(rest.join('/')) };
}

function Page(props: { page: PageId; arg: string }) {
  switch (props.page) {
    case 'nodes':
      return <NodesPage />;
    case 'workers':
      return <WorkersPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'channel':
      return <ChannelPage key={props.arg} channel={props.arg || 'chat:lobby'} />;
    case 'publish':
      return <PublishPage />;
    case 'users':
      return <UsersPage />;
  }
}

/** Session check, login, then the navigation and the current page (hash routes: #/nodes, #/workers, ...). */
export function AdminApp() {
  const [session, setSession] = useState<boolean | null>(null);
  const [where, setWhere] = useState(route());
  useEffect(() => {
    get<{ authenticated: boolean }>('session').then(
      (s) => setSession(s.authenticated),
      () => setSession(false),
    );
    const onHash = () => setWhere(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (session === null) return <p role="status">Loading…</p>;
  if (!session) return <LoginPage onLoggedIn={() => setSession(true)} />;
  const logout = () => {
    void post('logout', {}).finally(() => setSession(false));
  };
  return (
    <>
      <header class="admin-head">
        <div class="inner">
          <span class="brand">Realtime Message admin</span>
          <nav aria-label="Admin pages">
            <ul>
              {PAGES.map(([id, label]) => (
                <li key={id}>
                  <a href={`#/${id}`} aria-current={where.page === id ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <button type="button" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main class="page">
        <Page page={where.page} arg={where.arg} />
      </main>
    </>
  );
}
