import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, uniqueEmail } from '../../support/users.js';
import { httpClient } from '../../support/http.js';
import { subscribeLive } from './live-support.js';

/** Starts `npm start`'s entry point as a separate OS process on the given database; resolves with its URL. */
function startServerProcess(databaseUrl: string): Promise<{ child: ChildProcess; url: string; origin: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MAIL_WORKER: 'false', PUBLIC_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('server process did not start:\n' + out)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, origin: `http://localhost:${m[2]}` });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server process exited with ${code}:\n${out}`)));
  });
}

describe('two server processes on one database', () => {
  let inTest: TestApp;
  let other: { child: ChildProcess; url: string; origin: string };
  beforeAll(async () => {
    inTest = await startTestApp();
    other = await startServerProcess(inTest.db.url);
  }, 90_000);
  afterAll(async () => {
    if ((other as typeof other | undefined)?.child.exitCode === null) {
      const exited = new Promise((r) => other.child.once('exit', r));
      other.child.kill('SIGTERM');
      await exited;
    }
    await (inTest as TestApp | undefined)?.stop();
  });

  it('a registration on the other process appears live for an admin connected to this one, and back', async () => {
    const admin = await adminSession(inTest);
    const here = subscribeLive(inTest.url, { sessionId: admin.sessionId, origin: inTest.origin });
    // The same session works on the other process: they share the database and nothing else.
    const there = subscribeLive(other.url, { sessionId: admin.sessionId, origin: other.origin });
    try {
      await Promise.all([here.started, there.started]);
      const first = uniqueEmail('os-a');
      await httpClient(other.url, { origin: other.origin }).auth.signup.mutate({
        firstName: 'Hedy',
        lastName: 'Lamarr',
        email: first,
        password: 'frequency hopping',
        confirmPassword: 'frequency hopping',
      });
      await here.waitFor((e) => e.some((x) => x.type === 'user.registered' && (x.data as any).user.email === first));

      const second = uniqueEmail('os-b');
      await httpClient(inTest.url, { origin: inTest.origin }).auth.signup.mutate({
        firstName: 'Radia',
        lastName: 'Perlman',
        email: second,
        password: 'spanning tree!',
        confirmPassword: 'spanning tree!',
      });
      await there.waitFor((e) => e.some((x) => x.type === 'user.registered' && (x.data as any).user.email === second));

      // Both streams carry the same events in the same order.
      const ids = (events: { id: number }[]) => events.map((e) => e.id);
      await here.waitFor((e) => e.length >= there.events.length);
      expect(ids(here.events)).toEqual(ids(there.events));
    } finally {
      here.close();
      there.close();
    }
  });
});
