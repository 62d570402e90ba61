import type { Logger } from '../logger.js';
import { PgListener } from '../db/pg-listener.js';
import { EVENTS_CHANNEL } from './append.js';
import type { EventBus, SessionSnapshot } from './bus.js';
import { EVENTS_AFTER_WITH_COUNTS_SQL, EVENTS_AFTER_WITH_SESSIONS_SQL, START_POSITION_SQL, toEventDto, type EventRow } from './events.repository.js';
import { toUserCounts, UserCountsView } from './user-counts.js';
import type { UserCountsDto } from '../../shared/events.js';

export interface EventListenerOptions {
  databaseUrl: string;
  bus: EventBus;
  log: Logger;
  /** Rows loaded per query while catching up. */
  batchSize?: number;
  /** Reconnect backoff (shared/backoff.ts): first delay and cap (ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * A catch-up query runs this often even without notifications. NOTIFY is reliable while the
   * connection is up; this only bounds the delay if something unforeseen ever drops one.
   */
  safetyPollMs?: number;
  /**
   * Sessions of the open subscriptions. Each batch is loaded together with their validity (same
   * query, same snapshot), so subscribers re-check their session on delivery at no extra cost.
   */
  watchedSessions?: () => string[];
  /** Where the per-status user counts read with each batch are kept (user-counts.ts). */
  counts?: UserCountsView;
}

/**
 * The process's one PostgreSQL connection that LISTENs on 'admit_events'. A notification carries
 * only an event id; the listener then loads every event after the last one it published
 * (`id > lastSeen order by id`), so a burst of notifications costs one query and a lost one costs
 * nothing. Ids become visible in commit order (append.ts), so nothing can appear later below
 * lastSeen. When the connection breaks it reconnects with backoff and catches up from the table.
 */
export class EventListener {
  private readonly pg: PgListener;
  private lastSeen = 0;
  private stopped = false;
  private fetching = false;
  private fetchAgain = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly batchSize: number;
  /** The per-status user counts as of `position` (read in the same statements as the events). */
  readonly counts: UserCountsView;
  /** The counts last handed to the bus with a batch: a batch carries counts only when they differ. */
  private sentCounts: UserCountsDto | null = null;

  constructor(private readonly opts: EventListenerOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.counts = opts.counts ?? new UserCountsView();
    this.pg = new PgListener({
      databaseUrl: opts.databaseUrl,
      channel: EVENTS_CHANNEL,
      applicationName: 'admit-events-listener',
      log: opts.log,
      reconnect: { baseMs: opts.reconnectMinMs ?? 100, maxMs: opts.reconnectMaxMs ?? 5_000 },
      messages: { lost: 'event listener: connection lost, reconnecting', reconnected: 'event listener: reconnected, catching up' },
      onNotification: (payload) => {
        const id = Number(payload);
        // Already covered by an earlier batch: nothing to load.
        if (Number.isFinite(id) && id <= this.lastSeen) return;
        this.requestFetch();
      },
      onConnect: async (client, reconnected) => {
        if (reconnected) return;
        // Start at "now": history is the replay's job, not the bus's.
        const r = await client.query<{ max: string | null; counts: Record<string, unknown> }>(START_POSITION_SQL);
        this.lastSeen = Number(r.rows[0]?.max ?? 0);
        this.counts.update((this.sentCounts = toUserCounts(r.rows[0]?.counts, this.lastSeen)));
        this.opts.bus.startAt(this.lastSeen);
      },
      // Anything committed while we were away, or between LISTEN and now, comes from the table:
      // a notification that arrives while onConnect runs finds no connection to fetch with and is
      // dropped, so the first connection catches up too (else such an event waited for the next
      // notification or the safety poll).
      onReady: () => this.requestFetch(),
    });
  }

  /** True while the LISTEN connection is up. */
  get connected(): boolean {
    return this.pg.connected;
  }

  /** The id of the last event published on the bus. */
  get position(): number {
    return this.lastSeen;
  }

  /** Connects and starts listening; the bus starts at the table's current maximum id. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.pg.start();
    const poll = this.opts.safetyPollMs ?? 15_000;
    if (poll > 0) {
      this.pollTimer = setInterval(() => this.requestFetch(), poll);
      this.pollTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.pg.stop();
  }

  /** Resolves once the LISTEN connection is up (immediately if it is). For tests and diagnostics. */
  whenConnected(): Promise<void> {
    return this.pg.whenConnected();
  }

  /** Single-flight: a request during a fetch makes the fetch loop once more instead of running in parallel. */
  private requestFetch() {
    if (!this.pg.client) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    void this.fetchLoop();
  }

  private async fetchLoop() {
    this.fetching = true;
    try {
      do {
        this.fetchAgain = false;
        const client = this.pg.client;
        if (!client) return;
        const sessions = this.opts.watchedSessions?.() ?? [];
        let snapshot: SessionSnapshot | null = null;
        let row: { events: EventRow[]; counts: Record<string, unknown>; valid?: string[] };
        if (sessions.length) {
          row = (
            await client.query<typeof row>({
              // Prepared once per connection: planning this query costs more than running it.
              name: 'admit_events_after_with_sessions',
              text: EVENTS_AFTER_WITH_SESSIONS_SQL,
              values: [this.lastSeen, this.batchSize, sessions],
            })
          ).rows[0]!;
          snapshot = { asked: new Set(sessions), valid: new Set(row.valid ?? []) };
        } else {
          row = (await client.query<typeof row>({ name: 'admit_events_after', text: EVENTS_AFTER_WITH_COUNTS_SQL, values: [this.lastSeen, this.batchSize] }))
            .rows[0]!;
        }
        const rows = row.events;
        // A full batch may have more events behind it in this snapshot: its counts would be ahead of its last event.
        const complete = rows.length < this.batchSize;
        if (!rows.length) {
          // Nothing new; the counts can still have moved (a write without an event): keep them for the next read.
          this.counts.update(toUserCounts(row.counts, this.lastSeen));
          continue;
        }
        const events = rows.map(toEventDto);
        this.lastSeen = events[events.length - 1]!.id;
        let changed: UserCountsDto | null = null;
        if (complete) {
          const counts = toUserCounts(row.counts, this.lastSeen);
          if (!sameCounts(this.sentCounts, counts)) changed = this.sentCounts = counts;
          this.counts.update(counts);
        }
        this.opts.bus.publish(events, snapshot, changed);
        if (rows.length === this.batchSize) this.fetchAgain = true;
      } while (this.fetchAgain && !this.stopped);
    } catch (e) {
      // A broken connection is handled by its 'error'/'end' handlers (reconnect + catch-up).
      if (this.pg.client) this.opts.log.warn('event listener: loading events failed', { error: e as Error });
    } finally {
      this.fetching = false;
      // Asked for again while a failing query was in flight (e.g. right after a reconnect): run once more.
      if (this.fetchAgain && this.pg.client && !this.stopped) setImmediate(() => this.requestFetch());
    }
  }
}

function sameCounts(a: UserCountsDto | null, b: UserCountsDto): boolean {
  if (!a || a.total !== b.total) return false;
  for (const k of Object.keys(b.byStatus) as (keyof UserCountsDto['byStatus'])[]) if (a.byStatus[k] !== b.byStatus[k]) return false;
  return true;
}
