import type { EntityManager } from '@mikro-orm/postgresql';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { randomFillSync } from 'node:crypto';
import { SESSION_COOKIE } from '../../shared/constants.js';
import * as repo from './sessions.repository.js';
import type { SessionRow, SessionUserRow } from './sessions.repository.js';

/**
 * Sessions as Lucia's authors now recommend (lucia-auth.com, "Basic session API"), on
 * @oslojs/crypto + @oslojs/encoding instead of the deprecated `lucia` package:
 * - the cookie carries a token of 20 random bytes (160 bits), base32 lower-case without padding;
 * - user_session stores only its SHA-256 (hex) as the session id, so a read of the table (a
 *   backup, a log of a query) gives nothing that logs anyone in;
 * - a sliding idle timeout and an absolute lifetime (settings), checked against the app clock on
 *   every call; last_seen_at/expires_at are written at most once a minute, not per request.
 */

export interface SessionPolicy {
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
}

export interface ValidSession {
  session: SessionRow;
  user: SessionUserRow;
  /** The expiry moved: an HTTP response should carry a refreshed cookie. */
  fresh: boolean;
}

/** last_seen_at (and the sliding expiry) is written at most this often per session. */
export const TOUCH_INTERVAL_MS = 60_000;

const TOKEN_PATTERN = /^[a-z2-7]{32}$/;

export function generateSessionToken(): string {
  const bytes = new Uint8Array(20);
  randomFillSync(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

/** The stored id of the session a token opens: SHA-256 of the token, hex. */
export function sessionIdOf(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

/** The app clock (app-services.ts's Clock; tests move it forward). Declared here so app-services.ts can import this file's types. */
export interface SessionClock {
  now(): Date;
}

export interface SessionStoreOptions {
  em: () => EntityManager;
  clock: SessionClock;
  secureCookies: boolean;
  /** The current idle timeout and absolute lifetime (read from the settings by the caller). */
  policy: (em: EntityManager) => Promise<SessionPolicy>;
}

export type SessionStore = ReturnType<typeof createSessionStore>;

export function createSessionStore(opts: SessionStoreOptions) {
  const { clock } = opts;

  function cookie(value: string, maxAgeSeconds: number): string {
    const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`];
    if (opts.secureCookies) parts.push('Secure');
    return parts.join('; ');
  }

  return {
    /** Starts a session for the user; returns the token for the cookie (never stored). */
    /** `passwordChecked`: the session starts from a password just checked (login, setup, reset, invite); false for an emailed link alone. */
    async create(userId: string, meta: { ip: string; userAgent: string; passwordChecked?: boolean }): Promise<{ token: string; session: SessionRow }> {
      const em = opts.em();
      const policy = await opts.policy(em);
      const now = clock.now();
      const token = generateSessionToken();
      const absoluteExpiresAt = new Date(now.getTime() + policy.absoluteLifetimeMs);
      const session: SessionRow = {
        id: sessionIdOf(token),
        userId,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(Math.min(now.getTime() + policy.idleTimeoutMs, absoluteExpiresAt.getTime())),
        absoluteExpiresAt,
        ip: meta.ip.slice(0, 64),
        userAgent: meta.userAgent.slice(0, 300),
        passwordCheckedAt: meta.passwordChecked === false ? null : now,
      };
      await repo.insertSession(em, session);
      return { token, session };
    },

    /**
     * The session this token opens and its user, or null (unknown, ended or expired; an expired
     * one is deleted). Slides the idle expiry when the last write is older than a minute.
     */
    async validate(token: string): Promise<ValidSession | null> {
      if (!TOKEN_PATTERN.test(token)) return null;
      const em = opts.em();
      const found = await repo.findSessionAndUser(em, sessionIdOf(token));
      if (!found) return null;
      const { session } = found;
      const now = clock.now().getTime();
      if (now >= session.expiresAt.getTime() || now >= session.absoluteExpiresAt.getTime()) {
        await repo.deleteSession(em, session.id);
        return null;
      }
      if (now - session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return { ...found, fresh: false };
      const policy = await opts.policy(em);
      // A shortened lifetime setting applies to sessions already running, at their next touch.
      const absolute = Math.min(session.absoluteExpiresAt.getTime(), session.createdAt.getTime() + policy.absoluteLifetimeMs);
      if (now >= absolute) {
        await repo.deleteSession(em, session.id);
        return null;
      }
      const touched = { lastSeenAt: new Date(now), expiresAt: new Date(Math.min(now + policy.idleTimeoutMs, absolute)), absoluteExpiresAt: new Date(absolute) };
      await repo.touchSession(em, session.id, touched);
      return { session: { ...session, ...touched }, user: found.user, fresh: true };
    },

    async invalidate(sessionId: string): Promise<void> {
      await repo.deleteSession(opts.em(), sessionId);
    },

    async deleteExpired(): Promise<number> {
      return repo.deleteExpiredSessions(opts.em(), clock.now());
    },

    /** The Set-Cookie value for a token, living as long as the session may. */
    cookie(token: string, session: Pick<SessionRow, 'expiresAt'>): string {
      return cookie(token, (session.expiresAt.getTime() - clock.now().getTime()) / 1000);
    },

    /** The Set-Cookie value that removes the cookie. */
    blankCookie(): string {
      return cookie('', 0);
    },

    /** The session token in a Cookie header, if any (the header is checked by http/guard.ts first). */
    readCookie(header: string | undefined): string | null {
      if (!header) return null;
      for (const item of header.split(';')) {
        const eq = item.indexOf('=');
        if (eq < 0 || item.slice(0, eq).trim() !== SESSION_COOKIE) continue;
        const value = item.slice(eq + 1).trim();
        return value || null;
      }
      return null;
    },
  };
}
