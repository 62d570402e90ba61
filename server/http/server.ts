import { createServer, type Server, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { AppServices } from '../app-services.js';
import { appRouter } from '../trpc/router.js';
import { createContextFactory } from '../trpc/context.js';
import { createStaticHandler } from './static.js';

export interface HttpHandle {
  server: Server;
  wss: WebSocketServer;
  close(): Promise<void>;
}

/** Browsers always send Origin on cross-site POSTs and WebSocket upgrades; non-browser clients may omit it. */
export function originAllowed(req: IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) {
    // No Origin: not a browser-initiated cross-site request, unless Fetch Metadata says so.
    return req.headers['sec-fetch-site'] !== 'cross-site';
  }
  return allowed.includes(origin);
}

export function createHttpServer(app: AppServices, opts: { clientDir: string }): HttpHandle {
  const createContext = createContextFactory(app);
  const serveStatic = createStaticHandler(opts.clientDir);

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (url.startsWith('/trpc/') || url === '/trpc') {
      if (req.method === 'POST' && !originAllowed(req, app.allowedOrigins())) {
        res.writeHead(403, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({ error: { message: 'Cross-origin request refused', data: { code: 'FORBIDDEN', reason: 'ORIGIN_REJECTED', httpStatus: 403 } } }),
        );
        return;
      }
      const path = decodeURIComponent(new URL(url, 'http://x').pathname.slice('/trpc/'.length));
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      void nodeHTTPRequestHandler({
        req,
        res,
        path,
        router: appRouter,
        maxBodySize: 256 * 1024,
        allowMethodOverride: false,
        createContext: ({ req: r, res: s }) => createContext(r, 'http', (cookie) => s.appendHeader('Set-Cookie', cookie)),
        onError: ({ error, path: p }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error('procedure failed', { path: p, error: error.cause ?? error, stack: (error.cause as Error | undefined)?.stack ?? error.stack });
        },
      });
      return;
    }
    serveStatic(req, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ req, res }) => createContext(req, 'ws', () => undefined, res),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    onError: ({ error, path: p }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error('procedure failed (ws)', { path: p, error: error.cause ?? error });
    },
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname !== '/trpc') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!req.headers.origin || !app.allowedOrigins().includes(req.headers.origin)) {
      // Cross-site WebSocket hijacking defence: the cookie would otherwise authenticate any page's socket.
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\nOrigin not allowed');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  return {
    server,
    wss,
    async close() {
      wsHandler.broadcastReconnectNotification();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((res) => wss.close(() => res()));
      server.closeAllConnections?.();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
