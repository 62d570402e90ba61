import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { createWebhookWorker } from '../../../server/webhooks/worker.js';
import { claimDueDeliveries } from '../../../server/webhooks/webhooks.repository.js';

describe('a webhook worker that dies mid-delivery', () => {
  let app: TestApp;
  let rx: WebhookReceiver;
  beforeAll(async () => {
    rx = await startWebhookReceiver();
    // No worker of the app's own: this test runs the workers by hand.
    app = await startTestApp({ env: { APP_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_WORKER: 'false', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
    await (rx as WebhookReceiver | undefined)?.stop();
  });

  it('leaves its claim to the lease: another worker sends that delivery once after the lease, and nothing else twice', async () => {
    const admin = await adminSession(app);
    const hooks = admin.caller.admin.settings.webhooks;
    const { endpoint } = await hooks.create({ url: rx.url('/crash'), description: '', eventTypes: ['*'], enabled: true });
    await hooks.sendTest({ id: endpoint.id });
    await hooks.sendTest({ id: endpoint.id });

    // The dying worker claimed the first delivery (order per endpoint: only the first is claimable) and never recorded anything.
    const claimed = await claimDueDeliveries(app.services.em(), app.clock.now(), 10, 60_000);
    expect(claimed).toHaveLength(1);

    const worker = createWebhookWorker(app.services, {
      databaseUrl: app.db.url,
      box: app.webhooks.box!,
      resolve: app.webhooks.resolve,
      allowedHosts: app.webhooks.allowedHosts,
      listen: false,
    });
    // While the lease runs, neither the claimed delivery nor the one after it (its first attempt waits its turn) goes out.
    expect(await worker.drain()).toBe(0);
    expect(rx.received).toHaveLength(0);

    app.clock.advance(60_001);
    expect(await worker.drain()).toBe(2);
    expect(await worker.drain()).toBe(0);
    const got = await rx.waitFor(2, '/crash');
    expect(got.map((r) => r.headers['webhook-id'])).toEqual(
      (await sql(app, `select message_id from webhook_delivery where endpoint_id = ? order by id`, [endpoint.id])).map((r) => r.message_id),
    );
    const rows = await sql(app, `select status, attempts from webhook_delivery where endpoint_id = ? order by id`, [endpoint.id]);
    // The first counts the dead worker's attempt too.
    expect(rows).toEqual([
      { status: 'succeeded', attempts: 2 },
      { status: 'succeeded', attempts: 1 },
    ]);
    await worker.stop();
  });
});
