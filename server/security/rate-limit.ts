import type { EntityManager } from '@mikro-orm/postgresql';
import { bumpRateLimit, clearRateLimit, purgeRateLimits } from './security.repository.js';

/** Where a limiter keeps its counters: the `rate_limit` table, shared by every process. */
export interface RateLimitStore {
  em: () => EntityManager;
  clock: { now(): Date };
}

// The in-memory first line never holds more than this many refused keys (oldest dropped first).
const MAX_BLOCKED_KEYS = 50_000;

/**
 * Fixed-window counters kept in PostgreSQL (`rate_limit`), so every process enforces one limit and
 * a restart forgets nothing: each hit is one atomic `insert … on conflict do update … returning`.
 *
 * In front of it, each process remembers the keys it has seen go over the limit, until their
 * window ends, and refuses those without touching the database: a flood from one address costs
 * one query per process per window, not one per request.
 */
export class RateLimiter {
  private store: RateLimitStore | null = null;
  private blocked = new Map<string, number>();

  constructor(
    /** Its name in the table's keys and in logs (loginPerIp, signupPerIp, …). */
    readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Connects the limiter to the database (app.ts, at start). */
  attach(store: RateLimitStore): void {
    this.store = store;
  }

  /** Counts one attempt for key. Resolves to 0 when allowed, otherwise the milliseconds until retry. */
  async hit(key: string): Promise<number> {
    const store = this.store;
    if (!store) throw new Error(`rate limiter ${this.name} is not attached to a store`);
    const now = store.clock.now();
    const t = now.getTime();
    const until = this.blocked.get(key);
    if (until !== undefined) {
      if (until > t) return until - t;
      this.blocked.delete(key);
    }
    const row = await bumpRateLimit(store.em(), `${this.name}:${key}`, now, new Date(t + this.windowMs));
    if (row.points <= this.limit) return 0;
    const resetAt = row.expiresAt.getTime();
    this.remember(key, resetAt);
    return Math.max(1, resetAt - t);
  }

  /** Forgets key's window, here and in the database (a success that should not count against later attempts). */
  async clear(key: string): Promise<void> {
    this.blocked.delete(key);
    if (this.store) await clearRateLimit(this.store.em(), `${this.name}:${key}`);
  }

  /** Forgets this process's first line (tests; the database keeps its counters). */
  forgetLocal(): void {
    this.blocked.clear();
  }

  private remember(key: string, resetAt: number) {
    if (this.blocked.size >= MAX_BLOCKED_KEYS) {
      const now = this.store?.clock.now().getTime() ?? Date.now();
      for (const [k, v] of this.blocked) if (v <= now) this.blocked.delete(k);
      // Still full of live keys: drop the oldest entries (Map keeps insertion order).
      for (const k of this.blocked.keys()) {
        if (this.blocked.size < MAX_BLOCKED_KEYS) break;
        this.blocked.delete(k);
      }
    }
    this.blocked.set(key, resetAt);
  }
}

export interface RateLimits {
  loginPerIp: RateLimiter;
  /** Password changes per account (change-password). Logins are protected per account by lockouts (lockout.ts) instead. */
  loginPerEmail: RateLimiter;
  signupPerIp: RateLimiter;
  resetPerIp: RateLimiter;
  resetPerEmail: RateLimiter;
  /** Opening and using a reset link (token checks), separate from asking for one. */
  resetTokenPerIp: RateLimiter;
  setupPerIp: RateLimiter;
  invitePerIp: RateLimiter;
  /** Proof-of-work challenges handed out per IP (auth.challenge). */
  challengePerIp: RateLimiter;
  /** Asking for another verification email, per IP and per address (auth.verifyEmail.resend). */
  verifyResendPerIp: RateLimiter;
  verifyResendPerEmail: RateLimiter;
  /** Checking and using verification links, per IP. */
  verifyTokenPerIp: RateLimiter;
  /** "Your invitation is waiting" emails after a login attempt, per address. */
  inviteWaitingPerEmail: RateLimiter;
  /** REST API requests per API token (api-tokens/api-tokens.service.ts). */
  apiToken: RateLimiter;
}

export function createRateLimits(scale = 1): RateLimits {
  const min = 60_000;
  const make = (name: keyof RateLimits, limit: number, windowMs: number) => new RateLimiter(name, limit * scale, windowMs);
  return {
    loginPerIp: make('loginPerIp', 30, 5 * min),
    loginPerEmail: make('loginPerEmail', 10, 5 * min),
    signupPerIp: make('signupPerIp', 10, 10 * min),
    resetPerIp: make('resetPerIp', 10, 10 * min),
    resetPerEmail: make('resetPerEmail', 3, 10 * min),
    resetTokenPerIp: make('resetTokenPerIp', 30, 10 * min),
    setupPerIp: make('setupPerIp', 10, 10 * min),
    invitePerIp: make('invitePerIp', 20, 10 * min),
    challengePerIp: make('challengePerIp', 60, 10 * min),
    verifyResendPerIp: make('verifyResendPerIp', 10, 10 * min),
    verifyResendPerEmail: make('verifyResendPerEmail', 3, 60 * min),
    verifyTokenPerIp: make('verifyTokenPerIp', 30, 10 * min),
    inviteWaitingPerEmail: make('inviteWaitingPerEmail', 1, 60 * min),
    apiToken: make('apiToken', 600, min),
  };
}

/** Connects every limiter to the database (app.ts). */
export function attachRateLimits(limits: RateLimits, store: RateLimitStore): void {
  for (const limiter of Object.values(limits) as RateLimiter[]) limiter.attach(store);
}

const PURGE_EVERY_MS = 5 * 60_000;

/**
 * Deletes expired rate-limit windows and used challenges every few minutes (any process may do
 * it; the deletes are idempotent). Returns the stop function.
 */
export function startSecurityPurge(store: RateLimitStore, onError: (e: unknown) => void): () => void {
  const timer = setInterval(() => {
    purgeRateLimits(store.em(), store.clock.now()).catch(onError);
  }, PURGE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
