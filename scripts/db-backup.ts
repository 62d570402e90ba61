// Admit's logical backup: the rows of every table in the public schema, read in one consistent
// snapshot (REPEATABLE READ, the server may keep running), written as gzipped JSON lines; restore
// recreates the schema with the migrations the backup names, then loads the rows and the sequences.
// Why not pg_dump: the embedded PostgreSQL's npm package ships only initdb, pg_ctl and postgres, and
// a pg_dump older than the server refuses to dump it. This format needs no client binaries and
// restores into any PostgreSQL the app supports (an external server's own pg_dump works too).
import { createReadStream, createWriteStream } from 'node:fs';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../server/db/mikro-orm.config.js';
import { migrationsList } from '../server/db/migrations/index.js';
import { MIGRATION_LOCK_ID } from '../server/db/migrate.js';
import { parseConfig } from '../server/config.js';
import { createLogger, type Logger } from '../server/logger.js';
import { useEmbeddedPostgres } from '../server/db/embedded.js';

const FORMAT = 'admit-backup';
const VERSION = 1;
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

interface Header {
  format: typeof FORMAT;
  version: number;
  createdAt: string;
  serverVersion: string;
  migrations: string[];
  tables: string[];
  sequences: { name: string; lastValue: string | null; isCalled: boolean }[];
}

const ident = (name: string) => '"' + name.replace(/"/g, '""') + '"';

async function publicTables(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' and tablename <> $1 order by tablename`, [
    MIGRATIONS_TABLE,
  ]);
  return r.rows.map((x) => x.name);
}

/** Writes a backup of the database at url to file; resolves with the number of rows per table. */
export async function backupDatabase(url: string, file: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url, application_name: 'admit-backup' });
  await c.connect();
  const gzip = createGzip();
  const out = createWriteStream(file, { mode: 0o600 });
  gzip.pipe(out);
  const write = async (line: string) => {
    if (!gzip.write(line + '\n')) await once(gzip, 'drain');
  };
  const counts: Record<string, number> = {};
  try {
    await c.query('set statement_timeout = 0');
    await c.query('begin isolation level repeatable read read only');
    const migrations = (await c.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE} order by id`)).rows.map((r) => r.name.replace(/\.(ts|js)$/, ''));
    const tables = await publicTables(c);
    const seqs = await c.query<{ name: string; last_value: string | null }>(
      `select sequencename as name, last_value::text from pg_sequences where schemaname = 'public' order by sequencename`,
    );
    const header: Header = {
      format: FORMAT,
      version: VERSION,
      createdAt: new Date().toISOString(),
      serverVersion: (await c.query<{ v: string }>('show server_version')).rows[0]!.v,
      migrations,
      tables,
      sequences: seqs.rows.map((s) => ({ name: s.name, lastValue: s.last_value, isCalled: s.last_value !== null })),
    };
    await write(JSON.stringify(header));
    for (const t of tables) {
      await write(`#table ${t}`);
      await c.query(`declare rows_c no scroll cursor for select row_to_json(t)::text as j from ${ident(t)} t`);
      let n = 0;
      for (;;) {
        const r = await c.query<{ j: string }>('fetch 2000 from rows_c');
        for (const row of r.rows) await write(row.j);
        n += r.rows.length;
        if (r.rows.length < 2000) break;
      }
      await c.query('close rows_c');
      await write(`#end ${t} ${n}`);
      counts[t] = n;
    }
    await c.query('commit');
    gzip.end();
    await finished(out);
    return counts;
  } catch (e) {
    gzip.destroy();
    out.destroy();
    throw e;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Restores a backup into the database at url. The database must hold no Admit tables, unless
 * clean is set: then the public schema is dropped first (stop every Admit process beforehand).
 */
export async function restoreDatabase(url: string, file: string, opts: { clean?: boolean; log: Logger }): Promise<Record<string, number>> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  // Whatever the file holds: `format` is checked before the rest is trusted.
  const header = (first.done ? null : JSON.parse(first.value)) as (Omit<Header, 'format'> & { format?: unknown }) | null;
  if (!header || header.format !== FORMAT) throw new Error(`${file} is not an Admit backup`);
  if (header.version > VERSION) throw new Error(`${file} has backup format ${header.version}; this version reads up to ${VERSION}`);
  const known = migrationsList.map((m) => m.name);
  const unknown = header.migrations.filter((m) => !known.includes(m));
  if (unknown.length) throw new Error(`the backup was made by a newer Admit (migrations ${unknown.join(', ')}); restore it with that version or a later one`);
  const last = header.migrations[header.migrations.length - 1];

  const c = new pg.Client({ connectionString: url, application_name: 'admit-restore' });
  await c.connect();
  const counts: Record<string, number> = {};
  try {
    await c.query('set statement_timeout = 0');
    // Keeps replicas (and `npm run migrate`) from migrating this database while it is rebuilt.
    await c.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const existing = await publicTables(c);
    if (existing.length && !opts.clean) {
      throw new Error(
        `the database already has tables (${existing.slice(0, 5).join(', ')}…); restore into an empty database, or pass --clean to drop them (stop Admit first)`,
      );
    }
    if (opts.clean) {
      opts.log.warn('restore: dropping the public schema');
      await c.query('drop schema if exists public cascade; create schema public');
    }
    // The schema of the backup's version: its migrations, no more (the app migrates further on start).
    const orm = await MikroORM.init(ormConfig(url, { poolMax: 1 }));
    try {
      if (last) await orm.migrator.up({ to: last });
    } finally {
      await orm.close(true);
    }
    await c.query('begin');
    // Rows go in as they were: foreign keys and triggers (NOTIFY) are not fired for the copy.
    await c.query('set local session_replication_role = replica');
    const tables = await publicTables(c);
    if (tables.length) await c.query(`truncate ${tables.map(ident).join(', ')}`);
    let table: string | null = null;
    let columns = '';
    let batch: string[] = [];
    const flush = async () => {
      if (!table || !batch.length) return;
      await c.query(
        `insert into ${ident(table)} (${columns}) overriding system value select ${columns} from json_populate_recordset(null::${ident(table)}, $1::json)`,
        ['[' + batch.join(',') + ']'],
      );
      counts[table] = (counts[table] ?? 0) + batch.length;
      batch = [];
    };
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const line = next.value;
      if (line.startsWith('#table ')) {
        table = line.slice(7);
        if (!tables.includes(table)) throw new Error(`the backup has table ${table}, which its migrations did not create`);
        const cols = await c.query<{ name: string }>(
          `select column_name as name from information_schema.columns
            where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER' order by ordinal_position`,
          [table],
        );
        columns = cols.rows.map((x) => ident(x.name)).join(', ');
        counts[table] = 0;
      } else if (line.startsWith('#end ')) {
        await flush();
        const [, name, n] = line.split(' ');
        if (name !== table || Number(n) !== counts[table])
          throw new Error(`the backup is damaged at table ${name} (expected ${n} rows, read ${counts[name!] ?? 0})`);
        table = null;
      } else if (line) {
        if (!table) throw new Error('the backup is damaged (a row outside a table)');
        batch.push(line);
        if (batch.length >= 1000) await flush();
      }
    }
    if (table) throw new Error(`the backup is truncated (table ${table} has no end)`);
    for (const s of header.sequences) {
      if (s.lastValue !== null) await c.query('select setval($1::regclass, $2::bigint, $3)', [ident(s.name), s.lastValue, s.isCalled]);
    }
    await c.query('commit');
    return counts;
  } catch (e) {
    await c.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The database a tool works on: DIRECT_DATABASE_URL, DATABASE_URL, else the embedded one of DATA_DIR (running or started for the tool). */
export async function toolDatabase(): Promise<{ url: string; log: Logger; done(): Promise<void> }> {
  const config = parseConfig();
  const log = createLogger(config.logLevel, { format: config.logFormat });
  const url = config.directDatabaseUrl ?? config.databaseUrl;
  if (url) return { url, log, done: async () => undefined };
  const embedded = await useEmbeddedPostgres(config.dataDir, log);
  return { url: embedded.url, log, done: () => embedded.stop() };
}
