import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, descendants, run, spawnServer, type ServerProcess } from './support.js';

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '(gone)';
  }
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'admit-npm-start-'));
  let server: ServerProcess | undefined;
  let tree: number[] = [];
  afterAll(() => {
    for (const pid of tree) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the compiled server with plain node on the embedded PostgreSQL, and SIGTERM to npm leaves no process behind', async () => {
    server = await spawnServer('npm', ['start', '--silent'], { DATA_DIR: dataDir, DATABASE_URL: '', NODE_ENV: '', MAIL_WORKER: 'true' }, 240_000);
    // "listening" comes once the HTTP server is up; /readyz turns 200 when the workers have polled once as well.
    await expect.poll(async () => (await fetch(server!.url + '/readyz')).status, { timeout: 30_000, interval: 200 }).toBe(200);
    tree = descendants(server.child.pid!);
    const commands = tree.map(commandOf);
    // The server is plain node on the bundle (no tsx, no TypeScript compiled at run time)…
    expect(commands.some((c) => /node dist\/server\/start\.js$/.test(c))).toBe(true);
    expect(commands.some((c) => c.includes('tsx'))).toBe(false);
    // …and the embedded PostgreSQL runs under it.
    expect(commands.some((c) => c.includes('postgres'))).toBe(true);

    // A backup of the running embedded PostgreSQL connects to it (never starts a second one on its folder).
    const backup = await run('npm', ['run', '--silent', 'backup', '--', join(dataDir, 'b.jsonl.gz')], { DATA_DIR: dataDir, DATABASE_URL: '', NODE_ENV: '' });
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    expect((await fetch(server.url + '/readyz')).status).toBe(200);

    server.child.kill('SIGTERM');
    await server.exited;
    // Everything that ran under npm has stopped (postgres takes a moment after the server asked it to).
    const deadline = Date.now() + 15_000;
    while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(tree.filter(alive).map((p) => `${p} ${commandOf(p)}`)).toEqual([]);
    expect(server.output()).toMatch(/received SIGTERM, shutting down/);
  }, 300_000);
});
