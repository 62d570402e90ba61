import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { createWebhookWorker } from '../../../server/webhooks/worker.js';

/** A receiver that holds every request open until told to answer, and answers 200 from then on. */
async function startHoldingReceiver() {
  const held: ServerResponse[] = [];
  const got: { path: string; id: string }[] = [];
  const arrivals: (() => void)[] = [];
  let answering = false;
  const server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      got.push({ path: req.url ?? '/', id: String(req.headers['webhook-id']) });
      for (const w of arrivals.splice(0)) w();
      if (answering) res.end('ok');
      else held.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    arrived: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (got.length >= n ? resolve() : arrivals.push(check));
        check();
      }),
    answerFromNowOn() {
      answering = true;
    },
    async stop() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('a webhook worker stopping (shutdown)', () => {
  let app: TestApp;
  let rx: Awaited<ReturnType<typeof startHoldingReceiver>>;
  beforeAll(async () => {
    rx = await startHoldingReceiver();
    app = await startTestApp({ env: { APP_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_WORKER: 'false', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
    await (rx as typeof rx | undefined)?.stop();
  });

  const workerFor = (stopGraceMs: number) =>
    createWebhookWorker(app.services, {
      databaseUrl: app.db.url,
      box: app.webhooks.box!,
      resolve: app.webhooks.resolve,
      allowedHosts: app.webhooks.allowedHosts,
      listen: false,
      batchSize: 1,
      concurrency: 1,
      stopGraceMs,
    });

  it('cuts a send the receiver never answers after its grace, claims nothing more, and the lease hands the cut one over: each delivered once, same webhook-id', async () => {
    const admin = await adminSession(app);
    const hooks = admin.caller.admin.settings.webhooks;
    const ids: string[] = [];
    for (const path of ['/a', '/b', '/c']) {
      const { endpoint } = await hooks.create({ url: rx.url(path), description: '', eventTypes: ['*'], enabled: true });
      ids.push(endpoint.id);
      await hooks.sendTest({ id: endpoint.id });
    }

    const worker = workerFor(200);
    const draining = worker.drain();
    await rx.arrived(1);
    // The receiver holds the first request for ever: stop() must not wait for it, nor go on to the backlog.
    await worker.stop();
    await draining;
    expect(rx.got).toHaveLength(1);

    const rows = await sql(app, `select endpoint_id, status, attempts, last_attempt_at, locked_until from webhook_delivery order by id`);
    expect(rows).toHaveLength(3);
    // The cut one: claimed (attempt counted, lease set), nothing recorded; the other two untouched.
    expect(rows[0]).toMatchObject({ endpoint_id: ids[0], status: 'pending', attempts: 1, last_attempt_at: null });
    expect(rows[0]!.locked_until).not.toBeNull();
    expect(rows.slice(1).map((r) => [r.status, r.attempts, r.locked_until])).toEqual([
      ['pending', 0, null],
      ['pending', 0, null],
    ]);

    rx.answerFromNowOn();
    const next = workerFor(3000);
    // Inside the lease the cut delivery stays with the stopped worker; the two others go out.
    expect(await next.drain()).toBe(2);
    app.clock.advance(60_001);
    expect(await next.drain()).toBe(1);
    await next.stop();

    const final = await sql(app, `select message_id, status from webhook_delivery order by id`);
    expect(final.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // The cut attempt and its re-send carry the same webhook-id; every delivery reached the receiver, the cut one twice.
    const first = final[0]!.message_id as string;
    expect(rx.got.filter((g) => g.id === first)).toHaveLength(2);
    expect(rx.got).toHaveLength(4);
    expect(new Set(rx.got.map((g) => g.id))).toEqual(new Set(final.map((r) => r.message_id)));
  }, 60_000);
});
