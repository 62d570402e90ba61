import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { withDatabase } from './pg-server.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A brand-new, empty database on the run's PostgreSQL server; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = inject('pgAdminUrl');
  const name = `admit_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
  return {
    name,
    url: withDatabase(admin, name),
    async drop() {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      try {
        await d.query(`drop database if exists ${name} with (force)`);
      } finally {
        await d.end();
      }
    },
  };
}
