import type { AppServices } from '../app-services.js';
import { validAdminSessions } from '../sessions/sessions.repository.js';

interface Watch {
  sessionId: string;
  onRevoked: () => void;
}

/**
 * Re-checks the sessions behind open admin subscriptions, on every delivery and on a timer.
 *
 * It asks what session validation (sessions/session-store.ts) + adminProcedure ask (the session exists and has not
 * expired; its user is an active admin who need not change their password first), but for all
 * sessions at once. On delivery, the listener loads each batch of events together with the
 * validity of every watched session (one query, see EVENTS_AFTER_WITH_SESSIONS_SQL), so an event
 * delivered to 500 admins costs no extra query; isActiveAdmin() covers the other cases (replay,
 * a subscription younger than the batch), batching the checks requested within one tick. The
 * timer costs one query per interval for the whole process.
 */
export class SessionGuard {
  private readonly watches = new Set<Watch>();
  /** Watched session id → number of subscriptions on it. */
  private readonly sessionCounts = new Map<string, number>();
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
    this.sessionCounts.clear();
  }

  get watchCount(): number {
    return this.watches.size;
  }

  /** Calls onRevoked (once) when a timer check finds the session no longer valid for an admin. */
  watch(sessionId: string, onRevoked: () => void): () => void {
    const w: Watch = { sessionId, onRevoked };
    this.watches.add(w);
    this.sessionCounts.set(sessionId, (this.sessionCounts.get(sessionId) ?? 0) + 1);
    return () => this.unwatch(w);
  }

  /** The distinct sessions behind open subscriptions (the listener re-checks them with every batch it loads). */
  watchedSessionIds(): string[] {
    return [...this.sessionCounts.keys()];
  }

  private unwatch(w: Watch) {
    if (!this.watches.delete(w)) return;
    const n = (this.sessionCounts.get(w.sessionId) ?? 1) - 1;
    if (n <= 0) this.sessionCounts.delete(w.sessionId);
    else this.sessionCounts.set(w.sessionId, n);
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
    // Judge only the subscriptions that existed when the query was sent: one that starts meanwhile
    // may carry a session the query never asked about.
    const judged = [...this.watches];
    let valid: Set<string>;
    try {
      valid = await this.validSessions([...new Set(judged.map((w) => w.sessionId))]);
    } catch (e) {
      // Only this round is skipped: the next delivery checks again and ends the stream if the check fails.
      this.app.log.warn('live session check failed', { error: e as Error });
      return;
    }
    for (const w of judged) {
      if (this.watches.has(w) && !valid.has(w.sessionId)) {
        this.unwatch(w);
        w.onRevoked();
      }
    }
  }

  private validSessions(ids: string[]): Promise<Set<string>> {
    return validAdminSessions(this.app.em(), ids);
  }
}
