import { createTRPCClient, createWSClient, httpBatchLink, httpLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { AppRouter } from '../../server/trpc/router.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

/** A tRPC client over real HTTP, sending the given session cookie and Origin. */
export function httpClient(baseUrl: string, opts: { sessionId?: string | null; origin?: string; batch?: boolean } = {}) {
  const headers = () => {
    const h: Record<string, string> = {};
    if (opts.sessionId) h.cookie = `${SESSION_COOKIE}=${opts.sessionId}`;
    if (opts.origin) h.origin = opts.origin;
    return h;
  };
  const link = opts.batch === false ? httpLink({ url: baseUrl + '/trpc', headers }) : httpBatchLink({ url: baseUrl + '/trpc', headers });
  return createTRPCClient<AppRouter>({ links: [link] });
}

/** A tRPC client over a real WebSocket, opened with the given cookie and Origin. */
export function wsClient(
  baseUrl: string,
  opts: { sessionId?: string | null; origin: string; onOpen?: () => void; onClose?: () => void; retryDelayMs?: (n: number) => number },
) {
  const url = baseUrl.replace(/^http/, 'ws') + '/trpc';
  const headers: Record<string, string> = { origin: opts.origin };
  if (opts.sessionId) headers.cookie = `${SESSION_COOKIE}=${opts.sessionId}`;
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createWSClient({
    url,
    WebSocket: HeaderWebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: opts.retryDelayMs ?? (() => 50),
    onOpen: opts.onOpen,
    onClose: opts.onClose,
  });
  return { client, trpc: createTRPCClient<AppRouter>({ links: [wsLink({ client })] }), close: () => client.close() };
}

/** Raw HTTP POST to a procedure, to inspect headers and status. */
export async function rawPost(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
