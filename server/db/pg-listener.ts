import pg from 'pg';
import { backoffDelay, type Backoff } from '../../shared/backoff.js';
import type { Logger } from '../logger.js';

export interface PgListenerOptions {
  /** Connection string of a direct connection (a pooler in transaction mode cannot hold a LISTEN). */
  databaseUrl: string;
  channel: string;
  /** application_name of the connection (visible in pg_stat_activity). */
  applicationName?: string;
  log: Logger;
  /** Reconnect delays: backoffDelay(attempt, reconnect), attempt counted from 0 since the last success. */
  reconnect: Backoff;
  onNotification(payload: string | undefined): void;
  /**
   * Runs on every connection once LISTEN is in place, before it counts as connected (e.g. catch up
   * from the table). Throwing makes this attempt fail and retry. `reconnected` is false the first time.
   */
  onConnect?(client: pg.Client, reconnected: boolean): Promise<void> | void;
  /** Runs once the connection is up and counts as connected (e.g. start a catch-up that uses it). */
  onReady?(reconnected: boolean): void;
  /** Log lines for a lost connection and a reconnection. */
  messages?: { lost?: string; reconnected?: string };
  /** Extra fields for the log lines. */
  logFields?: Record<string, unknown>;
}

/**
 * One PostgreSQL connection that LISTENs on a channel and comes back by itself: when it breaks,
 * it reconnects with backoff and jitter until stop(). Notifications sent while it was away are
 * lost, so users catch up from their table in onConnect.
 */
export class PgListener {
  private current: pg.Client | null = null;
  private stopped = false;
  private attempt = 0;
  private connectedOnce = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: PgListenerOptions) {}

  /** The connection while it is up (for queries on it), else null. */
  get client(): pg.Client | null {
    return this.current;
  }

  get connected(): boolean {
    return this.current !== null;
  }

  /**
   * Connects and listens. When the first attempt fails it rejects with that error; with
   * `retryFirst` it keeps retrying in the background instead (and resolves).
   */
  async start(opts: { retryFirst?: boolean } = {}): Promise<void> {
    this.stopped = false;
    try {
      await this.connect();
    } catch (e) {
      if (!opts.retryFirst) throw e;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const c = this.current;
    this.current = null;
    if (c) await c.end().catch(() => undefined);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once the connection is up (immediately if it is, or once stopped). */
  whenConnected(): Promise<void> {
    if (this.current || this.stopped) return Promise.resolve();
    return new Promise((res) => this.waiters.push(res));
  }

  private async connect(): Promise<void> {
    const { opts } = this;
    const client = new pg.Client({
      connectionString: opts.databaseUrl,
      ...(opts.applicationName ? { application_name: opts.applicationName } : {}),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Set by the connection's error/end listeners while connect() awaits.
    let failed = false as boolean;
    const onBroken = (err?: Error) => {
      if (failed) return;
      failed = true;
      client.removeAllListeners('notification');
      if (this.current === client) this.current = null;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      opts.log.warn(opts.messages?.lost ?? `LISTEN ${opts.channel}: connection lost, reconnecting`, {
        ...opts.logFields,
        error: err?.message ?? 'connection ended',
      });
      this.scheduleReconnect();
    };
    client.on('error', onBroken);
    client.on('end', () => onBroken());
    client.on('notification', (msg) => {
      if (msg.channel === opts.channel) opts.onNotification(msg.payload);
    });
    const reconnected = this.connectedOnce;
    try {
      await client.connect();
      await client.query(`LISTEN ${opts.channel}`);
      await opts.onConnect?.(client, reconnected);
    } catch (e) {
      onBroken(e as Error);
      throw e;
    }
    if (failed || this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.connectedOnce = true;
    this.current = client;
    this.attempt = 0;
    if (reconnected) opts.log.info(opts.messages?.reconnected ?? `LISTEN ${opts.channel}: reconnected`, { ...opts.logFields });
    for (const w of this.waiters.splice(0)) w();
    opts.onReady?.(reconnected);
  }

  private scheduleReconnect() {
    if (this.stopped || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt++, this.opts.reconnect);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped) return;
      this.connect().catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }
}
