import { isIPv4, isIPv6 } from 'node:net';
import type { AppServices } from '../app-services.js';
import { POW_MAX_NUMBER_MAX, type LockoutStateOutput, type SecuritySettings } from '../../shared/schemas/security.js';
import { AppError } from '../errors.js';
import { readSecuritySettings } from './security-settings.js';
import { checkPow } from './bot-protection.js';
import { derivedKey, hmacHex, sameHex } from './secret.js';
import { countRateLimitsOver, peekRateLimit, readLockout, type LockoutRow } from './security.repository.js';

/*
 * Login lockouts a stranger cannot trigger (issue 10, item 4).
 *
 * - Tight, per account and address: after `loginFailuresPerIp` failures for one account from one
 *   address (IPv6: its /64) within the window, that address is refused for that account until the
 *   window ends. A browser with the account's device cookie is counted by its device instead.
 * - Loose, per account: after `loginFailuresPerAccount` failures from anywhere (forgotten after
 *   `loginFailureResetHours` without one), the account is challenged, not refused: every login to
 *   it must first solve a proof-of-work `loginPowFactor` times harder than the sign-up one, and
 *   twice as hard again for every further `loginFailuresPerAccount` failures (up to 8×), the way
 *   Keycloak's brute-force detection lengthens its wait. The owner is emailed once per episode.
 * - A browser that logged in to the account before (a signed, HttpOnly device cookie naming the
 *   user) is never challenged, and its failures are its own.
 * - A successful login clears its address's (or device's) count and ends the account's episode.
 */

export const DEVICE_COOKIE = 'admit_device';
const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;
const MAX_ESCALATION = 8;

/** The address a failure is counted against: IPv4 as is, IPv6 by its /64 (one customer's network). */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip.slice(0, 64);
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** What login knows about the request (from the tRPC context). */
export interface LoginAttempt {
  ip: string;
  cookieHeader?: string | undefined;
  setCookie: (cookie: string) => void;
}

/** Decided before the password is checked; handed back to record the outcome. */
export interface LoginGuard {
  userId: string;
  /** The tight counter's subject: `ip:<address>` or `device:<id>`. */
  subject: string;
  deviceId: string | null;
  settings: SecuritySettings;
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/** The device id in this browser's device cookie, when the cookie is ours and names this user. */
export async function deviceFor(app: AppServices, cookieHeader: string | undefined, userId: string): Promise<string | null> {
  const raw = readCookie(cookieHeader, DEVICE_COOKIE);
  const m = raw ? /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{16,43})\.([0-9a-f]{64})$/.exec(raw) : null;
  if (!m || m[1] !== userId) return null;
  const expected = hmacHex(await derivedKey(app, 'device-cookie'), `${m[1]}.${m[2]}`);
  return sameHex(expected, m[3]!) ? m[2]! : null;
}

export async function deviceCookie(app: AppServices, userId: string, deviceId: string): Promise<string> {
  const body = `${userId}.${deviceId}`;
  const value = `${body}.${hmacHex(await derivedKey(app, 'device-cookie'), body)}`;
  const secure = app.config.secureCookies ? '; Secure' : '';
  return `${DEVICE_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${DEVICE_COOKIE_MAX_AGE_S}${secure}`;
}

export const tightKey = (userId: string, subject: string) => `loginFail:${userId}:${subject}`;

/** How hard the login challenge is after this many failures (escalating, capped). */
export function loginPowMaxNumber(settings: SecuritySettings, failures: number): number {
  const over = Math.max(0, failures - settings.loginFailuresPerAccount);
  const escalation = Math.min(MAX_ESCALATION, 2 ** Math.floor(over / settings.loginFailuresPerAccount));
  return Math.min(POW_MAX_NUMBER_MAX * 10, settings.powMaxNumber * settings.loginPowFactor * escalation);
}

export function isChallenged(row: LockoutRow | null, settings: SecuritySettings, now: Date): row is LockoutRow & { challengedSince: Date } {
  return !!row?.challengedSince && row.lastFailureAt.getTime() > now.getTime() - settings.loginFailureResetHours * 3_600_000;
}

/** The difficulty a login challenge for this account needs right now (the base one when it is not challenged). */
export async function loginChallengeDifficulty(app: AppServices, userId: string | null): Promise<number> {
  const settings = await readSecuritySettings(app.em());
  const row = userId ? await readLockout(app.em(), userId) : null;
  return loginPowMaxNumber(settings, isChallenged(row, settings, app.clock.now()) ? row.failures : 0);
}

/**
 * Before the password is checked: refuses an address (or device) with too many failures for this
 * account, and asks for the proof-of-work while the account is challenged (not from its devices).
 */
export async function guardLogin(app: AppServices, attempt: LoginAttempt, userId: string, altcha: string | undefined): Promise<LoginGuard> {
  const settings = await readSecuritySettings(app.em());
  const now = app.clock.now();
  const deviceId = await deviceFor(app, attempt.cookieHeader, userId);
  const subject = deviceId ? `device:${deviceId}` : `ip:${addressKey(attempt.ip)}`;
  const tight = await peekRateLimit(app.em(), tightKey(userId, subject), now);
  if (tight && tight.points >= settings.loginFailuresPerIp) {
    const minutes = Math.max(1, Math.ceil((tight.expiresAt.getTime() - now.getTime()) / 60_000));
    throw new AppError('TOO_MANY_REQUESTS', 'RATE_LIMITED', `Too many failed attempts. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }
  if (!deviceId) {
    const row = await readLockout(app.em(), userId);
    if (isChallenged(row, settings, now)) {
      const why = await checkPow(app, 'login', altcha, loginPowMaxNumber(settings, row.failures));
      if (why) {
        if (altcha) app.log.warn('login challenge refused', { event: 'bot_refused', reason: why, purpose: 'login', ip: attempt.ip });
        throw new AppError(
          'FORBIDDEN',
          'CHALLENGE_REQUIRED',
          'There have been many failed logins to this account. Your browser must complete a short check first.',
          {
            details: { botCheck: why },
          },
        );
      }
    }
  }
  return { userId, subject, deviceId, settings };
}

/** Admin › user page: the failed-login state. */
export async function lockoutState(app: AppServices, userId: string): Promise<LockoutStateOutput> {
  const settings = await readSecuritySettings(app.em());
  const now = app.clock.now();
  const row = await readLockout(app.em(), userId);
  const fresh = row && row.failures > 0 && row.lastFailureAt.getTime() > now.getTime() - settings.loginFailureResetHours * 3_600_000;
  const blocked = await countRateLimitsOver(app.em(), `loginFail:${userId}:`, now, settings.loginFailuresPerIp);
  return {
    state: isChallenged(row, settings, now) ? 'challenged' : 'normal',
    failures: fresh ? row.failures : 0,
    lastFailureAt: fresh ? row.lastFailureAt.toISOString() : null,
    challengedSince: isChallenged(row, settings, now) ? row.challengedSince.toISOString() : null,
    blockedAddresses: blocked,
  };
}
