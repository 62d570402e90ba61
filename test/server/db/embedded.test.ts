import { afterAll, describe, expect, it } from 'vitest';
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'admit-embedded-'));

/** `npm start`'s entry point without DATABASE_URL: the embedded PostgreSQL in dataDir. */
function start(extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', MAIL_WORKER: 'false', ...extraEnv };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('no "listening" within 90 s:\n' + out)), 90_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}

function postgresRunningIn(dir: string): boolean {
  try {
    return execSync(`ps -eo args`)
      .toString()
      .split('\n')
      .some((l) => l.includes('postgres') && l.includes(join(dir, 'pg')));
  } catch {
    return false;
  }
}

async function me(url: string) {
  const res = await fetch(url.replace('127.0.0.1', 'localhost') + '/trpc/auth.me');
  return (await res.json()).result.data as { needsSetup: boolean };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
}

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  afterAll(() => {
    if (postgresRunningIn(dataDir)) execSync(`pkill -f "${join(dataDir, 'pg')}" || true`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on a fresh data folder, keeps its data across a hard kill, and stops cleanly on SIGTERM and SIGINT', async () => {
    // 1. Fresh folder; the headless admin is created in it.
    const first = await start({ ADMIN_EMAIL: 'ops@example.test', ADMIN_PASSWORD: 'embedded pw 123' });
    expect(existsSync(join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
    expect((await me(first.url)).needsSetup).toBe(false);

    // 2. Killed hard: PostgreSQL is left running with its postmaster.pid.
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

    // 3. The next start recovers and the data survived.
    const second = await start();
    expect((await me(second.url)).needsSetup).toBe(false);

    // 4. SIGTERM stops the app and its database.
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(postgresRunningIn(dataDir)).toBe(false);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    // 5. And SIGINT (Ctrl-C) does the same.
    const third = await start();
    expect((await me(third.url)).needsSetup).toBe(false);
    third.child.kill('SIGINT');
    expect(await exited(third.child)).toBe(0);
    expect(postgresRunningIn(dataDir)).toBe(false);
  }, 240_000);
});
