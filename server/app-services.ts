import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { SessionStore } from './sessions/session-store.js';
import type { RateLimits } from './security/rate-limit.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Everything a procedure or service may need, built once at start and shared by all requests. */
export interface AppServices {
  config: Readonly<Config>;
  orm: MikroORM;
  log: Logger;
  /** Sessions: create, validate (on every call and WebSocket message), end; the cookie. */
  sessions: SessionStore;
  limits: RateLimits;
  clock: Clock;
  /** Base URL for links in emails (PUBLIC_URL, or http://localhost:<actual port>). */
  publicUrl: () => string;
  /** Origins allowed to call mutations and open the WebSocket. */
  allowedOrigins: () => string[];
  /** A fresh EntityManager for one unit of work. */
  em: () => EntityManager;
}
