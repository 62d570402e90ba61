import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../../support/app.js';
import { handleHealth, watchMailWorker } from '../../../server/http/health.js';
import { liveEventsOf } from '../../../server/events/live.js';

async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

describe('health endpoints', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
  });

  it('/healthz answers while the event loop runs', async () => {
    const r = await get(app.url + '/healthz');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });

  it('/readyz lists each check and answers 200 when all pass', async () => {
    // The mail worker has polled at least once by now (it polls every 100 ms in tests).
    await app.mailWorker!.drain();
    const r = await get(app.url + '/readyz');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ready');
    expect(Object.keys(r.body.checks).sort()).toEqual(['database', 'listener', 'mailWorker', 'migrations', 'webhookWorker']);
    for (const c of Object.values<{ ok: boolean }>(r.body.checks)) expect(c.ok).toBe(true);
  });

  it('/readyz answers 503 and names the migration when one is not applied', async () => {
    const em = app.services.em();
    const [row] = await em.execute<{ id: number; name: string; executed_at: Date }[]>('select * from mikro_orm_migrations order by id desc limit 1');
    await em.execute('delete from mikro_orm_migrations where id = ?', [row!.id]);
    try {
      const r = await get(app.url + '/readyz');
      expect(r.status).toBe(503);
      expect(r.body.status).toBe('unready');
      expect(r.body.checks.migrations.ok).toBe(false);
      expect(r.body.checks.migrations.pending).toEqual([row!.name.replace(/\.(ts|js)$/, '')]);
      expect(r.body.checks.database.ok).toBe(true);
    } finally {
      await em.execute('insert into mikro_orm_migrations (id, name, executed_at) values (?, ?, ?)', [row!.id, row!.name, row!.executed_at]);
    }
    expect((await get(app.url + '/readyz')).status).toBe(200);
  });

  it('/readyz answers 503 when the mail worker has not polled recently', async () => {
    const worker = app.mailWorker!;
    watchMailWorker(app.services, { lastPollAt: () => Date.now() - 120_000, pollMs: 100 });
    try {
      const r = await get(app.url + '/readyz');
      expect(r.status).toBe(503);
      expect(r.body.checks.mailWorker).toMatchObject({ ok: false });
    } finally {
      watchMailWorker(app.services, { lastPollAt: () => worker.lastPollAt, pollMs: 100 });
    }
  });

  it('/readyz answers 503 when the LISTEN connection is down, and 503 "stopping" from the first moment of a shutdown', async () => {
    await liveEventsOf(app.services).listener.stop();
    const r = await get(app.url + '/readyz');
    expect(r.status).toBe(503);
    expect(r.body.checks.listener.ok).toBe(false);

    // A second server on the same app state, to ask while this app drains (its own port stops accepting at once).
    const probe: Server = createServer((req, res) => {
      if (!handleHealth(app.services, req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    try {
      const closing = app.close();
      const during = await get(probeUrl + '/readyz');
      expect(during.status).toBe(503);
      expect(during.body.status).toBe('stopping');
      // Liveness stays up while draining: a supervisor must not kill a process that is finishing its work.
      expect((await get(probeUrl + '/healthz')).status).toBe(200);
      await closing;
      // New connections to the app's own port are refused.
      await expect(fetch(app.url + '/healthz')).rejects.toThrow();
    } finally {
      await new Promise<void>((res) => probe.close(() => res()));
    }
  });
});
