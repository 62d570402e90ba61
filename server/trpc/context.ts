import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { AppServices } from '../app-services.js';
import { clientIp } from '../security/client-ip.js';

export interface RequestInfo {
  transport: 'http' | 'ws';
  ip: string;
  userAgent: string;
  /** The session token read from the cookie (never stored: user_session keeps its SHA-256); validated again on every call (see procedures.ts). */
  sessionToken: string | null;
  /** The raw Cookie header (login reads its device cookie from it: security/lockout.ts). */
  cookieHeader?: string;
  /** Adds a Set-Cookie header to the HTTP response; WebSocket calls cannot set cookies. */
  setCookie: (cookie: string) => void;
  /** The connection itself on the WebSocket transport (live subscriptions watch its send buffer). */
  socket?: WebSocket;
}

export interface Context extends RequestInfo {
  app: AppServices;
}

export function createContextFactory(app: AppServices) {
  return function createContext(req: IncomingMessage, transport: 'http' | 'ws', setCookie: (c: string) => void, socket?: WebSocket): Context {
    return {
      ...(socket ? { socket } : {}),
      app,
      transport,
      ip: clientIp(req, app.config.trustProxy),
      userAgent: (req.headers['user-agent'] ?? '').slice(0, 300),
      sessionToken: app.sessions.readCookie(req.headers.cookie),
      cookieHeader: (req.headers.cookie ?? '').slice(0, 8192),
      setCookie,
    };
  };
}
