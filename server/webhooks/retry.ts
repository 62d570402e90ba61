import { WEBHOOK_RETRY_DELAYS_SECONDS } from '../../shared/webhooks.js';

/** Longest Retry-After honoured (a receiver asking for more gets the schedule's last step). */
const RETRY_AFTER_MAX_MS = 24 * 3600_000;

/** The schedule's delay before the next attempt, after `attempts` attempts (Standard Webhooks: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h). */
export function scheduledDelayMs(attempts: number): number {
  const s = WEBHOOK_RETRY_DELAYS_SECONDS[Math.min(Math.max(attempts, 1), WEBHOOK_RETRY_DELAYS_SECONDS.length - 1)]!;
  return s * 1000;
}

/** Retry-After as a delay in ms (seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const v = header.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return null;
    ms = t - now.getTime();
  }
  return Math.min(Math.max(ms, 0), RETRY_AFTER_MAX_MS);
}

/** Statuses whose Retry-After is honoured. */
export const HONOURS_RETRY_AFTER = new Set([429, 502, 504]);
