import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

/*
 * The webhook delivery worker seen from outside, as an operator sees it: its /readyz check (a
 * stopped or stuck worker makes the process unready, naming the check) and its Prometheus metrics
 * (outcomes, attempt durations, queue depth and oldest due age) against a real HTTP receiver.
 */

const KEY = randomBytes(32).toString('base64');
const TOKEN = 'metrics-token-webhooks-0123456789';

async function readyz(app: TestApp): Promise<{ status: number; body: any }> {
  const r = await fetch(app.url + '/readyz');
  return { status: r.status, body: await r.json() };
}

async function scrape(app: TestApp): Promise<string> {
  const r = await fetch(app.url + '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  return r.text();
}

/** The value of one sample line (`name{labels} value`); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return 0;
}

async function waitUntil<T>(fn: () => Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhook worker: readiness and metrics', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    app = await startTestApp({
      env: { APP_SECRET_KEY: KEY, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '100', METRICS: 'true', METRICS_TOKEN: TOKEN },
    });
    admin = await adminSession(app);
    rx = await startWebhookReceiver();
  });
  afterAll(async () => {
    await (rx as WebhookReceiver | undefined)?.stop();
    await (app as TestApp | undefined)?.stop();
  });

  it('/readyz checks the webhook worker and names it when it is stopped', async () => {
    const ready = await waitUntil(async () => {
      const r = await readyz(app);
      return r.status === 200 ? r : null;
    }, 'ready');
    expect(ready.body.checks.webhookWorker).toMatchObject({ ok: true });

    const worker = app.webhooks.worker!;
    await worker.stop();
    try {
      const r = await readyz(app);
      expect(r.status).toBe(503);
      expect(r.body.status).toBe('unready');
      expect(r.body.checks.webhookWorker).toMatchObject({ ok: false, error: 'stopped' });
      expect(r.body.checks.database.ok).toBe(true);
    } finally {
      await worker.start();
    }
    await waitUntil(async () => (await readyz(app)).status === 200, 'ready again after the worker restarted');
  });

  it('/readyz answers 503 naming the webhook worker when it is stuck (its claim blocked) past the stale limit, and 200 once it polls again', async () => {
    const blocker = new pg.Client({ connectionString: app.db.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table webhook_delivery in access exclusive mode');
      // The worker's next claim waits on the lock: the loop is stuck, as it would be on a hung statement.
      await waitUntil(
        async () =>
          Number(
            (
              await sql(
                app,
                `select count(*) as n from pg_stat_activity
                  where pid <> pg_backend_pid() and wait_event_type = 'Lock' and query like '%skip locked%' and query like '%update webhook_delivery%'`,
              )
            )[0].n,
          ) > 0,
        'the worker to wait on the lock',
      );
      // No poll for a minute (the limit is max(5 × poll interval, 30 s)).
      app.clock.advance(60_000);
      const r = await readyz(app);
      expect(r.status).toBe(503);
      expect(r.body.checks.webhookWorker.ok).toBe(false);
      expect(r.body.checks.webhookWorker.error).toBe('no poll for more than 30000 ms');
      expect(r.body.checks.webhookWorker.lastPollMsAgo).toBeGreaterThanOrEqual(60_000);
      for (const name of ['database', 'migrations', 'listener', 'mailWorker']) expect(r.body.checks[name].ok, name).toBe(true);
      await blocker.query('rollback');
      await waitUntil(async () => (await readyz(app)).status === 200, 'ready once the worker polls again');
    } finally {
      await blocker.end();
      app.clock.reset();
    }
  });

  it('counts deliveries by outcome and times attempts against a real receiver; samples the queue depth and the oldest due age at scrape', async () => {
    const before = await scrape(app);
    const delta = (after: string, name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    const hooks = admin.caller.admin.settings.webhooks;
    const ok = (await hooks.create({ url: rx.url('/ok'), description: 'answers 200', eventTypes: ['user.*'], enabled: true })).endpoint;
    const gone = (await hooks.create({ url: rx.url('/gone'), description: 'answers 410', eventTypes: ['user.*'], enabled: true })).endpoint;
    const flaky = (await hooks.create({ url: rx.url('/flaky'), description: 'answers 502 then 500', eventTypes: ['user.*'], enabled: true })).endpoint;
    rx.reply('/gone', { status: 410 });
    rx.reply('/flaky', { status: 502, headers: { 'Retry-After': '3600' } }, { status: 500 });

    const u = await insertUser(app, { status: 'pending' });
    await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });

    // One attempt each: a success, a 410 that disables its endpoint, a 502 retried after its Retry-After (an hour).
    const first = await waitUntil(async () => {
      const text = await scrape(app);
      const n = (o: string) => delta(text, 'admit_webhook_deliveries_total', { outcome: o });
      return n('succeeded') >= 1 && n('endpoint_disabled') >= 1 && n('retry_scheduled') >= 1 ? text : null;
    }, 'three recorded attempts');
    expect(delta(first, 'admit_webhook_deliveries_total', { outcome: 'succeeded' })).toBe(1);
    expect(delta(first, 'admit_webhook_deliveries_total', { outcome: 'endpoint_disabled' })).toBe(1);
    expect(delta(first, 'admit_webhook_deliveries_total', { outcome: 'retry_scheduled' })).toBe(1);
    expect(delta(first, 'admit_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(delta(first, 'admit_webhook_attempt_duration_seconds_count', { status_class: '2xx' })).toBe(1);
    expect(delta(first, 'admit_webhook_attempt_duration_seconds_count', { status_class: '4xx' })).toBe(1);
    expect(delta(first, 'admit_webhook_attempt_duration_seconds_count', { status_class: '5xx' })).toBe(1);
    expect(first).toMatch(/^admit_webhook_attempt_duration_seconds_bucket\{le="15",status_class="2xx"\} \d+$/m);
    expect(rx.received.map((r) => `${r.path} ${r.answered}`).sort()).toEqual(['/flaky 502', '/gone 410', '/ok 200']);
    const [okRow] = await sql(app, `select status from webhook_delivery where endpoint_id = ?`, [ok.id]);
    expect(okRow.status).toBe('succeeded');
    expect((await sql(app, `select enabled from webhook_endpoint where id = ?`, [gone.id]))[0].enabled).toBe(false);

    // The retry waits an hour: one pending delivery, none due. (A new scrape: the gauges are sampled
    // before the counters are read, so the scrape that saw the last count may predate its commit.)
    const settled = await scrape(app);
    expect(sample(settled, 'admit_webhook_deliveries_pending')).toBe(1);
    expect(sample(settled, 'admit_webhook_oldest_due_age_seconds')).toBe(0);

    // With the worker stopped, the retry made due a minute ago (and its last attempt): the oldest due age shows the wait.
    const worker = app.webhooks.worker!;
    await worker.stop();
    await sql(app, `update webhook_delivery set next_attempt_at = now() - interval '60 seconds', max_attempts = 2 where endpoint_id = ?`, [flaky.id]);
    const late = await scrape(app);
    expect(sample(late, 'admit_webhook_deliveries_pending')).toBe(1);
    expect(sample(late, 'admit_webhook_oldest_due_age_seconds')).toBeGreaterThanOrEqual(59);
    // A paused endpoint's deliveries wait for the admin, not for the worker: not in the queue.
    await sql(app, `update webhook_endpoint set enabled = false where id = ?`, [flaky.id]);
    const paused = await scrape(app);
    expect(sample(paused, 'admit_webhook_deliveries_pending')).toBe(0);
    expect(sample(paused, 'admit_webhook_oldest_due_age_seconds')).toBe(0);
    await sql(app, `update webhook_endpoint set enabled = true where id = ?`, [flaky.id]);

    // The worker comes back: the last attempt gets a 500 and the delivery fails for good.
    await worker.start();
    const last = await waitUntil(async () => {
      const text = await scrape(app);
      return delta(text, 'admit_webhook_deliveries_total', { outcome: 'failed' }) >= 1 ? text : null;
    }, 'the failed delivery');
    expect(delta(last, 'admit_webhook_deliveries_total', { outcome: 'failed' })).toBe(1);
    expect(delta(last, 'admit_webhook_attempt_duration_seconds_count', { status_class: '5xx' })).toBe(2);
    expect((await sql(app, `select status, attempts from webhook_delivery where endpoint_id = ?`, [flaky.id]))[0]).toEqual({ status: 'failed', attempts: 2 });
    const drained = await scrape(app);
    expect(sample(drained, 'admit_webhook_deliveries_pending')).toBe(0);
    expect(sample(drained, 'admit_webhook_oldest_due_age_seconds')).toBe(0);
  });
});

describe('webhook worker off (WEBHOOK_WORKER=false)', () => {
  it('/readyz has no webhook worker check in a process that runs none', async () => {
    const app = await startTestApp({ env: { APP_SECRET_KEY: KEY, WEBHOOK_WORKER: 'false' } });
    try {
      await app.mailWorker!.drain();
      const r = await readyz(app);
      expect(r.status).toBe(200);
      expect(Object.keys(r.body.checks)).not.toContain('webhookWorker');
    } finally {
      await app.stop();
    }
  });
});
