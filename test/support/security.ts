import pg from 'pg';
import { TESTS_SECURITY } from './app.js';
import { DEFAULT_SECURITY_SETTINGS } from '../../shared/schemas/security.js';

/**
 * For tests that drive a server process (no in-process app): writes Settings › Security into its
 * database with the bot checks off and lockouts loose, as startTestApp does. Call once the server
 * has migrated the database (after it answers); every process reads the setting on each request.
 */
export async function relaxSecurity(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into setting (key, value, updated_at) values ('security', $1::jsonb, now())
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [JSON.stringify({ ...DEFAULT_SECURITY_SETTINGS, ...TESTS_SECURITY })],
    );
  } finally {
    await client.end();
  }
}
