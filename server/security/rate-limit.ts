/**
 * Fixed-window counters kept in memory, per process. Applied before any expensive work (hashing,
 * database writes). With several processes each keeps its own counters, so the effective limit is
 * per process; that still bounds abuse by the number of processes.
 */
export class RateLimiter {
  private hits = new Map<string, { count: number; resetAt: number }>();
  private sweepAt = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt for key. Returns 0 when allowed, otherwise the milliseconds until retry. */
  hit(key: string): number {
    const t = this.now();
    if (t >= this.sweepAt) this.sweep(t);
    const entry = this.hits.get(key);
    if (!entry || entry.resetAt <= t) {
      this.hits.set(key, { count: 1, resetAt: t + this.windowMs });
      return 0;
    }
    entry.count++;
    return entry.count > this.limit ? entry.resetAt - t : 0;
  }

  reset(): void {
    this.hits.clear();
  }

  private sweep(t: number) {
    for (const [k, v] of this.hits) if (v.resetAt <= t) this.hits.delete(k);
    this.sweepAt = t + this.windowMs;
  }
}

export interface RateLimits {
  loginPerIp: RateLimiter;
  loginPerEmail: RateLimiter;
  signupPerIp: RateLimiter;
  resetPerIp: RateLimiter;
  resetPerEmail: RateLimiter;
  /** Opening and using a reset link (token checks), separate from asking for one. */
  resetTokenPerIp: RateLimiter;
  setupPerIp: RateLimiter;
  invitePerIp: RateLimiter;
}

export function createRateLimits(scale = 1): RateLimits {
  const min = 60_000;
  return {
    loginPerIp: new RateLimiter(30 * scale, 5 * min),
    loginPerEmail: new RateLimiter(10 * scale, 5 * min),
    signupPerIp: new RateLimiter(10 * scale, 10 * min),
    resetPerIp: new RateLimiter(10 * scale, 10 * min),
    resetPerEmail: new RateLimiter(3 * scale, 10 * min),
    resetTokenPerIp: new RateLimiter(30 * scale, 10 * min),
    setupPerIp: new RateLimiter(10 * scale, 10 * min),
    invitePerIp: new RateLimiter(20 * scale, 10 * min),
  };
}
