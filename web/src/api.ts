// The console's only way to the data: the public /v1 API with a bearer token from session storage.
// The token never goes into a URL; a 401 forgets it and returns to the login view.
import type { ApiTypes } from './types.js';

const TOKEN_KEY = 'errpulse.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Param = string | number | readonly string[] | undefined | null;
export type Params = Record<string, Param>;

let unauthorized: (message: string) => void = () => undefined;
/** Called with the server's message when a request is refused with 401. */
export function onUnauthorized(handler: (message: string) => void): () => void {
  unauthorized = handler;
  return () => {
    if (unauthorized === handler) unauthorized = () => undefined;
  };
}

let lastAnswer: Date | null = null;
const answerListeners = new Set<(at: Date) => void>();
/** "Data as of": the time of the newest successful answer. */
export function onAnswer(listener: (at: Date) => void): () => void {
  answerListeners.add(listener);
  if (lastAnswer) listener(lastAnswer);
  return () => answerListeners.delete(listener);
}

export function query(params: Params): string {
  const qs = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) qs.set(name, value.join(','));
    } else qs.set(name, String(value));
  }
  return qs.toString();
}

export async function get<K extends keyof ApiTypes>(path: K, params: Params = {}, signal?: AbortSignal): Promise<ApiTypes[K]> {
  const token = session.token();
  if (!token) {
    unauthorized('Sign in with an API token.');
    throw new ApiError(401, 'AUTH_ERR_EMPTY_AUTH_TOKEN', 'no token');
  }
  const qs = query(params);
  const res = await fetch(`/v1/${path}${qs ? `?${qs}` : ''}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    cache: 'no-store',
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    const error = new ApiError(res.status, body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText);
    // A request aborted because its page went away (after another 401, say) has nothing to report.
    if (res.status === 401 && !signal?.aborted) {
      session.clear();
      unauthorized(error.message);
    }
    throw error;
  }
  const data = (await res.json()) as ApiTypes[K];
  lastAnswer = new Date();
  for (const listener of answerListeners) listener(lastAnswer);
  return data;
}
