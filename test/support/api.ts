import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';
import { API_SCOPES, type ApiScope } from '../../shared/api-scopes.js';
import { generateApiToken, hashApiToken } from '../../server/api-tokens/api-tokens.service.js';
import { insertApiToken } from '../../server/api-tokens/api-tokens.repository.js';

/** Creates an API token for an admin directly (fixtures only; the token flow itself is tested with its procedures). */
export async function createTestToken(
  app: TestApp,
  ownerId: string,
  scopes: readonly ApiScope[] = API_SCOPES,
  opts: { name?: string; expiresAt?: Date | null } = {},
): Promise<{ id: string; token: string; name: string }> {
  const token = generateApiToken();
  const id = randomUUID();
  const name = opts.name ?? `test token ${id.slice(0, 8)}`;
  await insertApiToken(app.services.em(), {
    id,
    userId: ownerId,
    name,
    scopes: [...scopes],
    createdAt: app.clock.now(),
    expiresAt: opts.expiresAt ?? null,
    tokenHash: hashApiToken(token),
  });
  return { id, token, name };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body (null for an empty one). */
  body: any;
  text: string;
}

/** One REST API call over real HTTP. `body` is sent as JSON unless `raw` is given. */
export async function apiCall(
  app: TestApp,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${app.url}${path.startsWith('/api') ? path : `/api/v1${path}`}`, {
    method,
    headers,
    body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let parsed: any = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The API bound to one token: api.get('/users'), api.post('/users', body, headers). */
export function apiClient(app: TestApp, token: string | null) {
  return {
    get: (path: string, headers?: Record<string, string>) => apiCall(app, 'GET', path, { token, headers }),
    delete: (path: string, headers?: Record<string, string>) => apiCall(app, 'DELETE', path, { token, headers }),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => apiCall(app, 'POST', path, { token, body, headers }),
    patch: (path: string, body?: unknown, headers?: Record<string, string>) => apiCall(app, 'PATCH', path, { token, body, headers }),
    put: (path: string, body?: unknown, headers?: Record<string, string>) => apiCall(app, 'PUT', path, { token, body, headers }),
  };
}
