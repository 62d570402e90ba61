/**
 * Exponential backoff with jitter, the one rule every retry loop uses (the admin client's
 * reconnects, the event listener's reconnects, the mail worker's retries): the n-th delay
 * (n counted from 0) is base·2^n capped at max, then a random 50–100 % of that, so many clients
 * that failed together do not retry together.
 */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(attempt: number, { baseMs, maxMs }: Backoff, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (0.5 + random() * 0.5));
}
