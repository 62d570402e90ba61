import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { applyWSSHandler, jsonEncoder } from '@trpc/server/adapters/ws';
import type { AppServices } from '../app-services.js';
import { appRouter } from '../trpc/router.js';
import { createContextFactory } from '../trpc/context.js';
import { createStaticHandler } from './static.js';
import { checkCookieHeader, checkHostHeader, decodeComponent, isTrpcPath, parseTarget, refuse, refuseUpgrade } from './guard.js';
import { BudgetedWebSocket, ConnectionRegistry, SocketBudget } from './ws-budget.js';
import { watchStreamStall } from './sse-stall.js';
import { clientIp } from '../security/client-ip.js';
import { handleHealth } from './health.js';
import { AUDIT_EXPORT_PATH, handleAuditExport } from './audit-export.js';
import { handleMetrics } from '../metrics.js';
import { createApiHandler } from '../api/rest.js';
import { handleApiDocs } from './api-docs.js';
import { bindEmitterToRequest, newRequestId, runWithRequestId } from '../logger.js';
import { noteSubscriptionStarts } from '../events/live-frames.js';

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
  const handleApi = createApiHandler(app);

  const budgets = app.config.budgets;
  // GET /trpc responses in progress: those that are HTTP (SSE) subscriptions are ended at shutdown.
  const trpcGets = new Set<ServerResponse>();
  const handleRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (handleHealth(app, req, res)) return;
    if (handleMetrics(app, req, res, { wsConnections: () => wss.clients.size })) return;
    const target = parseTarget(req.url);
    if (!target.ok) return refuse(res, 400, target.error, { json: (req.url ?? '').startsWith('/trpc') });
    const pathname = target.value.pathname;
    if (pathname === AUDIT_EXPORT_PATH) return void handleAuditExport(app, req, res, target.value, originAllowed(req, app.allowedOrigins()));
    if (isTrpcPath(pathname)) {
      if (req.method === 'POST' && !originAllowed(req, app.allowedOrigins())) {
        res
          .writeHead(403, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'Cross-origin request refused', data: { code: 'FORBIDDEN', reason: 'ORIGIN_REJECTED', httpStatus: 403 } } }));
        return;
      }
      // tRPC decodes the path itself (once); checked here so a bad encoding gets a clear 400.
      const path = pathname.slice('/trpc/'.length);
      const decoded = decodeComponent(path, 'procedure path');
      if (!decoded.ok) return refuse(res, 400, decoded.error, { json: true });
      const cookies = checkCookieHeader(req.headers.cookie);
      if (!cookies.ok) return refuse(res, 400, cookies.error, { json: true });
      if (req.method === 'GET') {
        trpcGets.add(res);
        res.once('close', () => trpcGets.delete(res));
        watchStreamStall(res, {
          stallMs: budgets.streamStallMs,
          maxBufferedBytes: budgets.streamMaxBufferedBytes,
          log: app.log,
          ip: clientIp(req, app.config.trustProxy),
        });
      }
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      void nodeHTTPRequestHandler({
        req,
        res,
        path,
        router: appRouter,
        maxBodySize: 256 * 1024,
        maxBatchSize: budgets.trpcMaxBatch,
        allowMethodOverride: false,
        createContext: ({ req: r, res: s }) => createContext(r, 'http', (cookie) => s.appendHeader('Set-Cookie', cookie)),
        onError: ({ error, path: p }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR')
            app.log.error('procedure failed', { path: p, error: error.cause ?? error, stack: error.cause?.stack ?? error.stack });
        },
      });
      return;
    }
    // The REST API (bearer tokens, no cookies: no Origin check needed) and its reference page.
    if (handleApiDocs(req, res, pathname)) return;
    if (pathname === '/api' || pathname.startsWith('/api/')) return void handleApi(req, res, target.value);
    serveStatic(req, res);
  };
  // Every log line a request causes carries its id (also sent back as X-Request-Id).
  const server = createServer((req, res) => {
    const reqId = newRequestId();
    res.setHeader('X-Request-Id', reqId);
    const t0 = performance.now();
    runWithRequestId(reqId, () => {
      // One access line per request; the path only, as query strings may carry tokens (tRPC GET inputs, links).
      res.once('finish', () => {
        const path = (req.url ?? '/').split('?')[0]!.slice(0, 200);
        const line = { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - t0) };
        if (path.startsWith('/trpc') || path.startsWith('/api/v1')) app.log.info('request', line);
        else app.log.debug('request', line);
      });
      try {
        handleRequest(req, res);
      } catch (e) {
        // Last resort: a bug in a handler answers 500 and is logged; it never ends the process.
        app.log.error('request handler failed', { error: e as Error, stack: (e as Error | undefined)?.stack, url: String(req.url).slice(0, 200) });
        if (!res.headersSent) refuse(res, 500, 'Something went wrong on our side. Please try again.', { json: String(req.url).startsWith('/trpc') });
        else res.destroy();
      }
    });
  });
  // Slow clients cannot hold a connection open by dribbling headers or a body.
  server.headersTimeout = budgets.httpHeadersTimeoutMs;
  server.requestTimeout = budgets.httpRequestTimeoutMs;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, WebSocket: BudgetedWebSocket });
  const connections = new ConnectionRegistry(budgets);
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    maxBatchSize: budgets.trpcMaxBatch,
    createContext: ({ req, res }) => createContext(req, 'ws', () => undefined, res),
    // tRPC's JSON encoder, unchanged output; it tells the live stream each subscription's frame prefix (events/live-frames.ts).
    experimental_encoder: noteSubscriptionStarts(jsonEncoder),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    onError: ({ error, path: p }) => {
      // A client's protocol violation (bad frame, invalid UTF-8, oversized message) is the client's fault: ws closes that socket.
      const code = (error.cause as { code?: unknown } | undefined)?.code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) app.log.debug('websocket protocol error', { error: error.cause?.message });
      else if (error.code === 'INTERNAL_SERVER_ERROR') app.log.error('procedure failed (ws)', { path: p, error: error.cause ?? error });
    },
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The server leaves an upgraded socket without an error listener: a reset would end the process.
    socket.on('error', () => socket.destroy());
    handleUpgrade(req, socket, head).catch((e: unknown) => {
      app.log.error('websocket upgrade failed', { error: e as Error, stack: (e as Error | undefined)?.stack });
      refuseUpgrade(socket, 500, 'Something went wrong on our side');
    });
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = parseTarget(req.url);
    if (!target.ok) return refuseUpgrade(socket, 400, target.error);
    if (target.value.pathname !== '/trpc') return refuseUpgrade(socket, 404, 'Not found');
    const host = checkHostHeader(req);
    if (!host.ok) return refuseUpgrade(socket, 400, host.error);
    if (!req.headers.origin || !app.allowedOrigins().includes(req.headers.origin)) {
      // Cross-site WebSocket hijacking defence: the cookie would otherwise authenticate any page's socket.
      return refuseUpgrade(socket, 403, 'Origin not allowed');
    }
    const cookies = checkCookieHeader(req.headers.cookie);
    if (!cookies.ok) return refuseUpgrade(socket, 400, cookies.error);
    const ip = clientIp(req, app.config.trustProxy);
    const releaseIp = connections.reserveIp(ip);
    if (!releaseIp) {
      app.log.warn('websocket refused: too many connections from this address', { ip });
      return refuseUpgrade(socket, 429, 'Too many connections from this address', { 'Retry-After': '10' });
    }
    socket.once('close', releaseIp);
    let authenticated = false;
    const sessionToken = app.sessions.readCookie(req.headers.cookie);
    if (sessionToken) {
      try {
        authenticated = (await app.sessions.validate(sessionToken)) !== null;
      } catch (e) {
        app.log.warn('session check on websocket upgrade failed', { error: e as Error });
      }
    }
    if (!authenticated) {
      const releaseUnauth = connections.reserveUnauthenticated();
      if (!releaseUnauth) {
        app.log.warn('websocket refused: unauthenticated connection cap reached', { ip });
        return refuseUpgrade(socket, 503, 'Too many connections without a session; try again later', { 'Retry-After': '10' });
      }
      socket.once('close', releaseUnauth);
    }
    if (socket.destroyed) return;
    // One request id per WebSocket connection, in every line its messages cause.
    runWithRequestId(newRequestId(), () =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.budget = new SocketBudget(ws, { budgets, authenticated, router: appRouter, log: app.log, ip });
        bindEmitterToRequest(ws);
        wss.emit('connection', ws, req);
      }),
    );
  }

  let closing: Promise<void> | undefined;
  return {
    server,
    wss,
    close() {
      // An event stream never finishes by itself: ended at once (and any that starts while draining),
      // its client reconnects with its Last-Event-ID to another process, as a WebSocket client does
      // after the reconnect notification; else it would hold the drain until SHUTDOWN_TIMEOUT_MS.
      const endEventStreams = () => {
        for (const res of trpcGets) if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) res.destroy();
      };
      return (closing ??= drainAndClose(server, wss, () => wsHandler.broadcastReconnectNotification(), endEventStreams, app.config.shutdownTimeoutMs, app.log));
    },
  };
}

/**
 * Graceful close: new connections are refused at once; WebSocket clients get tRPC's reconnect
 * notification, then a normal close; HTTP event streams (SSE subscriptions) are ended; in-flight HTTP requests finish (idle keep-alive connections
 * are closed as soon as they are idle) for up to timeoutMs, after which the rest are cut.
 */
async function drainAndClose(
  server: Server,
  wss: WebSocketServer,
  notifyReconnect: () => void,
  endEventStreams: () => void,
  timeoutMs: number,
  log: AppServices['log'],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const httpClosed = new Promise<void>((res) => server.close(() => res()));
  server.closeIdleConnections();
  notifyReconnect();
  endEventStreams();
  for (const c of wss.clients) c.close(1012, 'server restarting');
  const wsClosed = new Promise<void>((res) => wss.close(() => res()));
  const idleSweep = setInterval(() => {
    server.closeIdleConnections();
    endEventStreams();
  }, 50);
  const cut = setTimeout(
    () =>
      server.getConnections((_e, open) => {
        // Said out loud: what is cut here gets a closed connection instead of its answer.
        log.warn('shutdown timeout reached (SHUTDOWN_TIMEOUT_MS): cutting the connections still open', {
          timeoutMs,
          connections: open,
          webSockets: wss.clients.size,
        });
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
      }),
    Math.max(0, deadline - Date.now()),
  );
  // Sockets that did not answer the close handshake within 2 s are cut then.
  const wsCut = setTimeout(
    () => {
      for (const c of wss.clients) c.terminate();
    },
    Math.min(2_000, timeoutMs),
  );
  try {
    await Promise.all([httpClosed, wsClosed]);
  } finally {
    clearInterval(idleSweep);
    clearTimeout(cut);
    clearTimeout(wsCut);
  }
}
