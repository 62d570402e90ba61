import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, spawnServer, type ServerProcess } from './support.js';

const postmasterPid = (dataDir: string) => Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('the embedded PostgreSQL is supervised', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'admit-supervise-'));
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('killed, it is restarted; /readyz says so meanwhile and is back to 200', { timeout: 240_000 }, async () => {
    server = await spawnServer(
      process.execPath,
      ['--import', 'tsx', 'server/start.ts'],
      { DATA_DIR: dataDir, DATABASE_URL: undefined, NODE_ENV: '', MAIL_WORKER: 'false' },
      180_000,
    );
    await expect.poll(async () => (await fetch(`${server!.url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    const pid = postmasterPid(dataDir);
    expect(alive(pid)).toBe(true);

    process.kill(pid, 'SIGKILL');
    // Meanwhile: not ready, and the body says why.
    let sawUnready: any = null;
    await expect
      .poll(
        async () => {
          const res = await fetch(`${server!.url}/readyz`);
          if (res.status === 503) sawUnready = await res.json();
          return sawUnready !== null;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    expect(sawUnready.status).toBe('unready');
    // Which check fails first depends on timing: the supervisor's state, the pool's query, the
    // migrations query (it also goes through the pool, and can draw a connection the kill broke
    // while the plain query draws a fresh one), or the LISTEN connection. Each of them is about the
    // database; none other may fail.
    const failing = Object.entries(sawUnready.checks as Record<string, { ok: boolean }>)
      .filter(([, c]) => !c.ok)
      .map(([k]) => k);
    expect(failing.length, JSON.stringify(sawUnready)).toBeGreaterThan(0);
    expect(
      failing.filter((k) => !['embeddedDatabase', 'database', 'migrations', 'listener'].includes(k)),
      JSON.stringify(sawUnready),
    ).toEqual([]);

    await expect.poll(async () => (await fetch(`${server!.url}/readyz`)).status, { timeout: 60_000, interval: 250 }).toBe(200);
    const newPid = postmasterPid(dataDir);
    expect(newPid).not.toBe(pid);
    expect(alive(newPid)).toBe(true);
    expect(server.output()).toContain('embedded PostgreSQL stopped unexpectedly');
    expect(server.output()).toContain('embedded PostgreSQL is running again');
    // Requests work again (a query through the pool).
    expect((await fetch(`${server.url}/trpc/auth.passwordPolicy`)).status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(alive(newPid)).toBe(false);
  });
});
