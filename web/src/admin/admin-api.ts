/** The admin UI's calls to its gateway (`/admin/api/*`, session cookie); the HTTP API key never reaches the page. */

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/admin/api/${path}`, init);
  const json = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiProblem(res.status, json.error ?? `request failed (${res.status})`);
  return json as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body: unknown): Promise<T> => request<T>('POST', path, body);

/** A server API method's answer: `result` or `error` (Centrifugo's shape). */
export interface MethodReply<T> {
  result?: T;
  error?: { code: number; message: string };
}

/** Calls a server API method in-process through the admin session; throws on `error`. */
export async function callMethod<T>(method: string, body: Record<string, unknown>): Promise<T> {
  const reply = await post<MethodReply<T>>(`call/${method}`, body);
  if (reply.error !== undefined) throw new ApiProblem(200, `${reply.error.message} (${reply.error.code})`);
  return reply.result as T;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
