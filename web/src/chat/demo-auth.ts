/** How this gateway wants the demo to authenticate (`GET /demo/config`), and the dev token source. */

export type DemoAuth = 'anonymous' | 'dev-tokens' | 'token-required';

export interface DemoConfig {
  auth: DemoAuth;
  /** Channel of a room's typing signals, `{room}` standing for the room. */
  signals: string;
}

const FALLBACK: DemoConfig = { auth: 'anonymous', signals: 'chat:{room}:signals' };

export async function fetchDemoConfig(): Promise<DemoConfig> {
  const res = await fetch('/demo/config', { headers: { accept: 'application/json' } });
  if (!res.ok) return FALLBACK;
  const body = (await res.json()) as Partial<DemoConfig>;
  return { auth: body.auth ?? FALLBACK.auth, signals: body.signals ?? FALLBACK.signals };
}

/** Asks the gateway's development token endpoint (CHAT_DEMO_TOKENS) for a token for `name`. */
export async function fetchDevToken(name: string): Promise<string> {
  const res = await fetch('/demo/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || body.token === undefined) throw new Error(body.error ?? `token endpoint answered ${res.status}`);
  return body.token;
}
