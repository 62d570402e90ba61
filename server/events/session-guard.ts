import type { AppServices } from '../app-services.js';

interface Watch {
  sessionId: string;
  onRevoked: () => void;
}

/**
 * Re-checks the sessions behind open admin subscriptions: on every delivery and on a timer.
 *
 * It asks exactly what adminProcedure asks through lucia.validateSession (the session exists and
 * has not expired, its user is an active admin who need not change their password first), but
 * for all sessions at once: every check requested within one tick becomes a single query. An
 * event delivered to 500 admins therefore costs one query, not 500, and the timer costs one
 * query per interval for the whole process.
 */
export class SessionGuard {
  private readonly watches = new Set<Watch>();
  private pending: Map<string, ((ok: boolean) => void)[]> | null = null;
  private pendingFailures: ((e: unknown) => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly app: AppServices,
    private readonly intervalMs = 3_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watches.clear();
  }

  get watchCount(): number {
    return this.watches.size;
  }

  /** Calls onRevoked (once) when a timer check finds the session no longer valid for an admin. */
  watch(sessionId: string, onRevoked: () => void): () => void {
    const w: Watch = { sessionId, onRevoked };
    this.watches.add(w);
    return () => {
      this.watches.delete(w);
    };
  }

  /** True while the session belongs to an active admin. Checks requested in the same tick share one query. */
  isActiveAdmin(sessionId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = new Map();
        setImmediate(() => void this.flush());
      }
      const list = this.pending.get(sessionId);
      if (list) list.push(resolve);
      else this.pending.set(sessionId, [resolve]);
      this.pendingFailures.push(reject);
    });
  }

  private async flush() {
    const batch = this.pending!;
    const failures = this.pendingFailures;
    this.pending = null;
    this.pendingFailures = [];
    try {
      const valid = await this.validSessions([...batch.keys()]);
      for (const [id, waiters] of batch) for (const w of waiters) w(valid.has(id));
    } catch (e) {
      for (const f of failures) f(e);
    }
  }

  private async sweep() {
    if (!this.watches.size) return;
    const ids = new Set<string>();
    for (const w of this.watches) ids.add(w.sessionId);
    let valid: Set<string>;
    try {
      valid = await this.validSessions([...ids]);
    } catch (e) {
      // Fail open only for this round: the next delivery checks again and ends the stream on error.
      this.app.log.warn('live session check failed', { error: e as Error });
      return;
    }
    for (const w of [...this.watches]) {
      if (!valid.has(w.sessionId)) {
        this.watches.delete(w);
        w.onRevoked();
      }
    }
  }

  private async validSessions(ids: string[]): Promise<Set<string>> {
    const valid = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const rows = await this.app.em().execute<{ id: string }[]>(
        `select s.id from user_session s join app_user u on u.id = s.user_id
          where s.id in (${chunk.map(() => '?').join(',')}) and s.expires_at > now()
            and u.role = 'admin' and u.status = 'active' and not u.must_change_password`,
        chunk,
      );
      for (const r of rows) valid.add(r.id);
    }
    return valid;
  }
}
