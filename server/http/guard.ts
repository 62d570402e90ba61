import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Guarded parsing of request data. Nothing here throws: every malformed input becomes a
 * `{ error }` with a message for a 400 answer.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The request target as a URL (origin-form, or absolute-form as proxies send it). */
export function parseTarget(raw: string | undefined): Parsed<URL> {
  try {
    return { ok: true, value: new URL(raw ?? '/', 'http://x') };
  } catch {
    return { ok: false, error: 'Malformed request target' };
  }
}

/** decodeURIComponent that answers instead of throwing on a lone or invalid percent-encoding. */
export function decodeComponent(raw: string, what: string): Parsed<string> {
  try {
    return { ok: true, value: decodeURIComponent(raw) };
  } catch {
    return { ok: false, error: `Malformed percent-encoding in the ${what}` };
  }
}

/**
 * Checks a Cookie header as the session cookie reader parses it (split on "; ", each name and
 * value percent-decoded), so that reader can never throw on it.
 */
export function checkCookieHeader(header: string | undefined): Parsed<undefined> {
  if (header === undefined || header === '') return { ok: true, value: undefined };
  if (header.length > 8192) return { ok: false, error: 'Cookie header too long' };
  for (const item of header.split('; ')) {
    const [k, v] = item.split('=');
    try {
      if (k) decodeURIComponent(k);
      if (v) decodeURIComponent(v);
    } catch {
      return { ok: false, error: 'Malformed Cookie header' };
    }
  }
  return { ok: true, value: undefined };
}

/** The Host header must make a URL with the request target (tRPC builds the request URL from both). */
export function checkHostHeader(req: IncomingMessage): Parsed<undefined> {
  try {
    new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    return { ok: true, value: undefined };
  } catch {
    return { ok: false, error: 'Malformed Host header' };
  }
}

/** A 4xx/5xx answer in the shape tRPC clients read (for /trpc), or plain text elsewhere. */
export function refuse(res: ServerResponse, status: number, message: string, opts: { json?: boolean; code?: string } = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = opts.json ? JSON.stringify({ error: { message, code: -32600, data: { code: opts.code ?? codeFor(status), httpStatus: status } } }) : message;
  res.writeHead(status, {
    'Content-Type': opts.json ? 'application/json' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function codeFor(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'TOO_MANY_REQUESTS';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return 'INTERNAL_SERVER_ERROR';
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers a refused WebSocket upgrade on the raw socket and closes it. */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extra}\r\n${message}`,
  );
}

/** True when the request would be answered by tRPC (path /trpc or below). */
export function isTrpcPath(pathname: string): boolean {
  return pathname === '/trpc' || pathname.startsWith('/trpc/');
}

export type { IncomingMessage };
