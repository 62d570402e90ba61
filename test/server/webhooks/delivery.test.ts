import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sql, sqlCount, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { adminSession, insertUser } from '../../support/users.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { appendEvent } from '../../../server/events/append.js';

const KEY = randomBytes(32).toString('base64');

/** Polls until fn() is truthy (deliveries happen on the worker's own schedule). */
async function waitUntil<T>(fn: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function verify(secret: string, r: ReceivedWebhook): any {
  return new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
}

describe('webhook delivery', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp({ env: { APP_SECRET_KEY: KEY, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '100' } }));
    admin = await adminSession(app);
    rx = await startWebhookReceiver();
  });
  afterEach(async () => {
    await sql(app, `delete from webhook_endpoint`);
    rx.received.length = 0;
    // Tests move the clock by days: start each one fresh, with a session that has not expired.
    app.clock.reset();
    admin = await adminSession(app);
  });
  afterAll(async () => {
    await (rx as WebhookReceiver | undefined)?.stop();
    await (stop as (() => Promise<void>) | undefined)?.();
  });

  const hooks = () => admin.caller.admin.settings.webhooks;
  async function endpoint(path: string, eventTypes: string[] = ['user.*']) {
    return hooks().create({ url: rx.url(path), description: 'test', eventTypes, enabled: true });
  }
  async function activateSomeone() {
    const u = await insertUser(app, { status: 'pending' });
    await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    return u;
  }
  const delivery = async (endpointId: string) => (await sql(app, `select * from webhook_delivery where endpoint_id = ? order by id`, [endpointId]))[0];

  it('signs each delivery so that a receiver using standardwebhooks accepts it; payload is {type, timestamp, data}', async () => {
    const { endpoint: ep, secret } = await endpoint('/signed');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const u = await activateSomeone();
    const [got] = await rx.waitFor(1, '/signed');
    const payload = verify(secret, got!);
    expect(payload.type).toBe('user.activated');
    expect(payload.data.user.id).toBe(u.id);
    expect(payload.data.user.email).toBe(u.email);
    expect(payload.data.actorId).toBe(admin.id);
    const [event] = await sql(app, `select id, created_at from domain_event where type = 'user.activated' and user_id = ?`, [u.id]);
    expect(payload.data.eventId).toBe(Number(event.id));
    expect(payload.timestamp).toBe(new Date(event.created_at).toISOString());
    expect(got!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    // A tampered body or another secret is refused by the same library.
    expect(() => new Webhook(secret).verify(got!.body.replace('activated', 'deleted'), got!.headers as Record<string, string>)).toThrow();
    expect(() => verify('whsec_' + randomBytes(32).toString('base64'), got!)).toThrow();
    const d = await waitUntil(async () => {
      const row = await delivery(ep.id);
      return row?.status === 'succeeded' ? row : null;
    }, 'the delivery to be marked succeeded');
    expect(d.attempts).toBe(1);
    expect(d.response_status).toBe(200);
    expect(d.response_body).toBe('ok');
    expect(d.message_id).toBe(got!.headers['webhook-id']);
  });

  it('queues deliveries in the event transaction: a rolled-back change sends nothing', async () => {
    const { endpoint: ep } = await endpoint('/tx', ['*']);
    await app.services
      .em()
      .transactional(async (tx) => {
        await appendEvent(tx, 'settings.changed', { changes: { portalName: { from: 'a', to: 'b' } } }, { actorId: admin.id });
        expect(await tx.execute(`select 1 from webhook_delivery where endpoint_id = ?`, [ep.id])).toHaveLength(1);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ?`, [ep.id])).toBe(0);
    // Only chosen types: an email event never goes out, a settings one does for '*'.
    await app.services.em().transactional(async (tx) => {
      await appendEvent(tx, 'email.sent', { outboxId: 1, template: 'welcome', to: 'x@example.test' }, { actorId: null });
      await appendEvent(tx, 'settings.changed', { changes: {} }, { actorId: admin.id });
    });
    const rows = await sql(app, `select event_type from webhook_delivery where endpoint_id = ?`, [ep.id]);
    expect(rows.map((r) => r.event_type)).toEqual(['settings.changed']);
  });

  it('retries across a receiver that is down, then up: delivered exactly once, same webhook-id, on the schedule', async () => {
    const { endpoint: ep, secret } = await endpoint('/flaky');
    await rx.stop();
    try {
      await activateSomeone();
      const first = await waitUntil(async () => {
        const row = await delivery(ep.id);
        return row?.last_attempt_at ? row : null;
      }, 'the first attempt');
      expect(first.status).toBe('pending');
      expect(first.attempts).toBe(1);
      expect(first.response_status).toBeNull();
      expect(first.last_error).toMatch(/ECONNREFUSED|connect/i);
      // The second attempt is due 5 s after the first (Standard Webhooks schedule).
      expect(new Date(first.next_attempt_at).getTime() - new Date(first.last_attempt_at).getTime()).toBe(5_000);
    } finally {
      await rx.start();
    }
    rx.reply('/flaky', { status: 503, body: 'busy' });
    app.clock.advance(5_000);
    await app.webhooks.worker!.drain();
    let row = await delivery(ep.id);
    expect(row.attempts).toBe(2);
    expect(row.response_status).toBe(503);
    expect(new Date(row.next_attempt_at).getTime() - new Date(row.last_attempt_at).getTime()).toBe(5 * 60_000);
    app.clock.advance(5 * 60_000);
    await app.webhooks.worker!.drain();
    row = await delivery(ep.id);
    expect(row.status).toBe('succeeded');
    expect(row.attempts).toBe(3);
    // Nothing more, however long we wait.
    app.clock.advance(48 * 3600_000);
    await app.webhooks.worker!.drain();
    const got = rx.received.filter((r) => r.path === '/flaky');
    expect(got.map((r) => r.answered)).toEqual([503, 200]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of got) expect(verify(secret, r).type).toBe('user.activated');
    expect((await sql(app, `select failing_since from webhook_endpoint where id = ?`, [ep.id]))[0].failing_since).toBeNull();
  });

  it('gives up after the 10th attempt', async () => {
    const { endpoint: ep } = await endpoint('/down');
    rx.reply('/down', ...Array.from({ length: 10 }, () => ({ status: 500 })));
    await activateSomeone();
    await waitUntil(async () => (await delivery(ep.id))?.last_attempt_at, 'the first attempt');
    const delays = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
    for (const s of delays) {
      app.clock.advance(s * 1000);
      await app.webhooks.worker!.drain();
    }
    const row = await delivery(ep.id);
    expect(row.attempts).toBe(10);
    expect(row.status).toBe('failed');
    expect(rx.received.filter((r) => r.path === '/down')).toHaveLength(10);
  });

  it('disables the endpoint on 410 Gone and emails every admin', async () => {
    const { endpoint: ep } = await endpoint('/gone');
    rx.reply('/gone', { status: 410, body: 'gone' });
    await activateSomeone();
    const row = await waitUntil(async () => {
      const r = await delivery(ep.id);
      return r?.status === 'failed' ? r : null;
    }, 'the delivery to fail');
    expect(row.response_status).toBe(410);
    const [e] = await sql(app, `select enabled, disabled_reason from webhook_endpoint where id = ?`, [ep.id]);
    expect(e.enabled).toBe(false);
    expect(e.disabled_reason).toMatch(/410/);
    const [mail] = await smtp.waitForMessages(1, {
      match: (m) => m.to.includes(admin.email.toLowerCase()) && m.subject.startsWith('Webhook endpoint disabled'),
    });
    expect(mail!.subject).toContain(rx.url('/gone'));
    expect(mail!.text).toMatch(/410 Gone/);
    // Nothing is queued for it any more.
    await activateSomeone();
    expect(await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ?`, [ep.id])).toBe(1);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'webhook.disabled'`)).toBeGreaterThan(0);
  });

  it('honours Retry-After on 429, 502 and 504', async () => {
    const { endpoint: ep } = await endpoint('/slow');
    rx.reply('/slow', { status: 429, headers: { 'retry-after': '120' } }, { status: 502, headers: { 'retry-after': '3600' } });
    await activateSomeone();
    let row = await waitUntil(async () => {
      const r = await delivery(ep.id);
      return r?.last_attempt_at ? r : null;
    }, 'the first attempt');
    expect(row.response_status).toBe(429);
    expect(new Date(row.next_attempt_at).getTime() - new Date(row.last_attempt_at).getTime()).toBe(120_000);
    // The schedule alone would retry after 5 s: not yet.
    app.clock.advance(60_000);
    await app.webhooks.worker!.drain();
    expect(rx.received.filter((r) => r.path === '/slow')).toHaveLength(1);
    app.clock.advance(60_000);
    await app.webhooks.worker!.drain();
    row = await delivery(ep.id);
    expect(row.response_status).toBe(502);
    expect(new Date(row.next_attempt_at).getTime() - new Date(row.last_attempt_at).getTime()).toBe(3_600_000);
    app.clock.advance(3_600_000);
    await app.webhooks.worker!.drain();
    expect((await delivery(ep.id)).status).toBe('succeeded');
    expect(rx.received.filter((r) => r.path === '/slow')).toHaveLength(3);
  });

  it('replays one delivery, and all failed since a time, with the same webhook-id', async () => {
    const { endpoint: ep, secret } = await endpoint('/replay');
    await activateSomeone();
    const [first] = await rx.waitFor(1, '/replay');
    const original = await waitUntil(async () => {
      const r = await delivery(ep.id);
      return r?.status === 'succeeded' ? r : null;
    }, 'the delivery');
    const { delivery: replay } = await hooks().replay({ deliveryId: Number(original.id) });
    expect(replay.replayOf).toBe(Number(original.id));
    expect(replay.messageId).toBe(original.message_id);
    const got = await rx.waitFor(2, '/replay');
    expect(got[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(verify(secret, got[1]!)).toEqual(verify(secret, first!));

    // Two deliveries fail for good (as after their 10th attempt); then everything failed since a time goes again.
    const since = app.clock.now().toISOString();
    rx.reply('/replay', { status: 400 }, { status: 400 });
    await activateSomeone();
    await activateSomeone();
    await rx.waitFor(4, '/replay');
    await waitUntil(
      async () =>
        (await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ? and status = 'pending' and last_attempt_at is not null`, [ep.id])) ===
        2,
      'both failures to be recorded',
    );
    await sql(app, `update webhook_delivery set status = 'failed' where endpoint_id = ? and status = 'pending'`, [ep.id]);
    const failed = (await sql(app, `select message_id from webhook_delivery where endpoint_id = ? and status = 'failed' order by id`, [ep.id])).map(
      (r) => r.message_id,
    );
    expect(failed).toHaveLength(2);
    const { replayed } = await hooks().replayFailed({ endpointId: ep.id, since });
    expect(replayed).toBe(2);
    const all = await rx.waitFor(6, '/replay');
    expect(all.slice(4).map((r) => r.headers['webhook-id'])).toEqual(failed);
    for (const r of all.slice(4)) expect(r.answered).toBe(200);
    // Replaying again finds nothing new: those two were replayed already.
    expect((await hooks().replayFailed({ endpointId: ep.id, since })).replayed).toBe(0);
  });
});
