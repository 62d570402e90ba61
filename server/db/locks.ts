import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from './sql.js';

/**
 * Every PostgreSQL advisory lock the app takes, named once. Each is a transaction-level lock
 * (pg_advisory_xact_lock): it is released when the transaction that took it ends.
 */
export const LOCKS = {
  /** Orders event appends, and so their commits (events/append.ts). */
  eventAppend: 0x4164_6d69, // "Admi"
  /** Serialises concurrent first-admin setups: only one can see "no admin yet" and create one. */
  setup: 0x5345_5455, // "SETU"
  /** Serialises checks that "another active admin remains" (two admins removing each other at once). */
  adminGuard: 0x4164_6d47, // "AdmG"
  /** Settings > General and Settings > Emails: two admins saving take turns, so each event's from → to is true. */
  settings: 0x5365_7474, // "Sett"
  /** Session-level, on its own connection (db/migrate.ts): replicas starting together migrate once; restore takes it too. */
  migrations: 0x4d69_6772, // "Migr"
  /**
   * Scheduled jobs (jobs/scheduler.ts): with the job's name as the second key
   * (pg_try_advisory_xact_lock(jobs, hashtext(name))), so each job runs in one process at a time.
   */
  jobs: 0x4a6f_6273, // "Jobs"
  /** Forget (privacy/forget.service.ts): two admins forgetting people take turns, so one person is forgotten once. */
  forgetPerson: 0x466f_7267, // "Forg"
} as const;

export type LockName = keyof typeof LOCKS;

// The locks each open transaction already holds (keyed by its knex transaction object, so an
// ended transaction's entry goes with it): taking one again would be a round trip that changes nothing.
const held = new WeakMap<object, Set<LockName>>();

/** Takes the named lock for the rest of the caller's transaction (once: a second call in the same transaction sends nothing). */
export async function lockForTransaction(em: EntityManager, name: LockName): Promise<void> {
  const lock = lockToTake(em, name);
  if (!lock) return;
  await query(em, 'select pg_advisory_xact_lock(?)', [lock.key]);
  lock.taken();
}

/**
 * For a statement that takes the named lock itself (a `pg_advisory_xact_lock` in a common table
 * expression, saving the round trip of its own statement): null when the caller's transaction
 * holds it already, else the lock's key and a `taken()` to call once that statement has run.
 */
export function lockToTake(em: EntityManager, name: LockName): { key: number; taken: () => void } | null {
  const trx = em.getTransactionContext<object>();
  if (trx && held.get(trx)?.has(name)) return null;
  return {
    key: LOCKS[name],
    taken: () => {
      if (!trx) return;
      const set = held.get(trx) ?? new Set<LockName>();
      set.add(name);
      held.set(trx, set);
    },
  };
}

/**
 * Tries the named job's lock for the rest of the caller's transaction (two-key form: LOCKS.jobs and
 * the job's name). False when another process holds it.
 */
export async function tryJobLock(em: EntityManager, job: string): Promise<boolean> {
  const rows = await query<{ ok: boolean }>(em, 'select pg_try_advisory_xact_lock(?, hashtext(?)) as ok', [LOCKS.jobs, job]);
  return rows[0]?.ok === true;
}
