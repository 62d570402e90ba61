import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { openDatabase } from '../../../server/db/database.js';
import { createLogger } from '../../../server/logger.js';
import { LOCKS, lockForTransaction } from '../../../server/db/locks.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

// lockForTransaction sends a lock the transaction already holds only once: the lock must still be
// held to the end of every transaction that asked for it, and each new transaction must take it anew.
describe('lockForTransaction', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  let other: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    orm = await openDatabase(db.url, createLogger('silent'), { poolMax: 2, migrate: false });
    other = new pg.Client({ connectionString: db.url });
    await other.connect();
  });
  afterAll(async () => {
    await other.end();
    await orm.close(true);
    await db.drop();
  });

  /** Whether another session could take the lock right now (it gives it back at once). */
  const free = async () => {
    const r = await other.query<{ ok: boolean }>('select pg_try_advisory_xact_lock($1) as ok', [LOCKS.eventAppend]);
    return r.rows[0]!.ok;
  };

  it('is held from the first call to the end of the transaction, a second call included, and taken again by every later transaction', async () => {
    for (let round = 0; round < 3; round++) {
      await orm.em.fork().transactional(async (tx) => {
        expect(await free()).toBe(true);
        await lockForTransaction(tx, 'eventAppend');
        await lockForTransaction(tx, 'eventAppend');
        expect(await free()).toBe(false);
        // The same transaction's statements still see the lock as theirs.
        const mine = await tx.execute<{ n: string }[]>(
          `select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and objid = ?`,
          [LOCKS.eventAppend],
        );
        expect(Number(mine[0]!.n)).toBeGreaterThan(0);
      });
      expect(await free()).toBe(true);
    }
  });

  it('a transaction that rolled back holds nothing, and the next one takes the lock', async () => {
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await lockForTransaction(tx, 'eventAppend');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await free()).toBe(true);
    await orm.em.fork().transactional(async (tx) => {
      await lockForTransaction(tx, 'eventAppend');
      expect(await free()).toBe(false);
    });
  });
});
