import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';

// Database faults: which errors mean "the database cannot be reached right now" (answered 503,
// never a hang), and the one retry rule for a transaction that lost its connection.

/** SQLSTATEs of a lost or refused connection (class 08, and the server shutting the session down). */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08007', '08P01']);
/** Socket errors of a connection that could not be made or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);
const CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /Client has encountered a connection error/i,
  /terminating connection/i,
  /server closed the connection unexpectedly/i,
  /Client was closed and is not queryable/i,
];
/** Timeouts: pg's connect timeout, knex's pool acquire timeout, the statement timeout (57014), pg's read timeout. */
const TIMEOUT_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /^timeout expired$/i,
  /Timeout acquiring a connection/i,
  /Query read timeout/i,
  /connection timeout/i,
];

function* chain(e: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    yield cur as Record<string, unknown>;
    cur = (cur as { cause?: unknown; previous?: unknown }).cause ?? (cur as { previous?: unknown }).previous;
  }
}

/** The connection broke or could not be made (the statement may not have run; a retry on a new one may work). */
export function isConnectionError(e: unknown): boolean {
  for (const c of chain(e)) {
    const code = typeof c.code === 'string' ? c.code : '';
    if (CONNECTION_CODES.has(code) || SOCKET_CODES.has(code)) return true;
    const msg = typeof c.message === 'string' ? c.message : '';
    if (CONNECTION_MESSAGES.some((re) => re.test(msg))) return true;
  }
  return false;
}

/** A connection-acquire, connect, statement or read timeout. */
export function isDatabaseTimeout(e: unknown): boolean {
  for (const c of chain(e)) {
    if (c.code === '57014' || c.name === 'KnexTimeoutError') return true;
    const msg = typeof c.message === 'string' ? c.message : '';
    if (TIMEOUT_MESSAGES.some((re) => re.test(msg))) return true;
  }
  return false;
}

/** The database is unreachable, too slow or gone: the request answers 503 instead of hanging or a 500. */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (e instanceof AppError) return false;
  return isDatabaseTimeout(e) || isConnectionError(e);
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The service cannot reach its database right now. Please try again in a moment.';

/** The 503 a request answers when the database is unavailable (trpc/init.ts maps it; the error is the cause). */
export function databaseUnavailable(cause: unknown): AppError {
  const e = new AppError('SERVICE_UNAVAILABLE', 'DATABASE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE);
  (e as { cause?: unknown }).cause = cause;
  return e;
}

/** What the retry needs of the app: a fresh EntityManager per try, and a log for the retry line. */
export interface RetryContext {
  em: () => EntityManager;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

/**
 * `em.transactional(work)`, retried once on a new connection when the first try lost its
 * connection BEFORE COMMIT was sent: while `work` ran (or at BEGIN), so the transaction cannot
 * have committed and running it again cannot do anything twice. An error after `work` returned
 * (the flush, or COMMIT itself) is never retried: once COMMIT was sent the outcome is unknown.
 * `work` must only change the database (no emails or other side effects outside the transaction;
 * the outbox is inside it). Statement timeouts and every other error are not retried.
 */
export async function transactionalWithRetry<T>(ctx: RetryContext, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    // Set inside the transaction callback: a boolean, not the `false` it starts as.
    let committing = false as boolean;
    try {
      return await ctx.em().transactional(async (tx) => {
        const result = await work(tx);
        committing = true;
        return result;
      });
    } catch (e) {
      if (attempt > 0 || committing || !isConnectionError(e) || isDatabaseTimeout(e)) throw e;
      ctx.log?.warn('transaction lost its connection before commit; retrying once on a new one', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
