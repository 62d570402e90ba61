import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../../../server/db/mikro-orm.config.js';
import { openDatabase } from '../../../server/db/database.js';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

describe('migrations', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await (orm as MikroORM | undefined)?.close(true);
    await db.drop();
  });

  it('run up on an empty database and leave nothing pending', async () => {
    orm = await openDatabase(db.url, createLogger('silent'));
    expect(await orm.migrator.getPendingMigrations()).toEqual([]);
    const tables = await orm.em
      .fork()
      .execute<{ table_name: string }[]>(`select table_name from information_schema.tables where table_schema = 'public' order by table_name`);
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['app_user', 'organisation', 'user_session', 'setting', 'domain_event', 'email_outbox', 'auth_token', 'mailbox_message']),
    );
  });

  it('create exactly one default organisation', async () => {
    const rows = await orm.em.fork().execute(`select name from organisation where is_default`);
    expect(rows).toHaveLength(1);
  });

  it('make email unique regardless of letter case', async () => {
    const em = orm.em.fork();
    const insert = (email: string) =>
      em.execute(
        `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, created_at, updated_at, version)
         values (gen_random_uuid(), ?, 'A', 'B', (select id from organisation where is_default), 'developer', 'active', now(), now(), 1)`,
        [email],
      );
    await insert('Case.Test@Example.com');
    await expect(insert('case.test@example.COM')).rejects.toThrow(/app_user_email_lower_unique/);
  });

  it('match the entity metadata (the schema generator finds nothing to change)', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: true });
    // Only the indexes declared by hand in SQL (lower(email), partial ones) are unknown to the entities;
    // no table or column may differ.
    const meaningful = diff
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^(drop index|create index|alter table .* drop constraint|alter table .* add constraint .*unique)/i.test(l) && !/^set /i.test(l));
    expect(meaningful).toEqual([]);
  });

  it('can be rolled back to nothing and applied again', async () => {
    const migrator = orm.migrator;
    await migrator.down({ to: 0 });
    expect((await migrator.getPendingMigrations()).length).toBeGreaterThan(0);
    await migrator.up();
    expect(await migrator.getPendingMigrations()).toEqual([]);
  });
});

// Also guard the CLI config used by `npm run migration:create`.
it('the MikroORM config file builds', () => {
  const c = ormConfig('postgres://x@127.0.0.1/y');
  expect(c.clientUrl).toContain('127.0.0.1');
});
