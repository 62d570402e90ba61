import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { adminSession, insertUser } from '../../support/users.js';
import { wsClient } from '../../support/http.js';
import { createTestDatabase } from '../../support/db.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { createSecretBox, keyId } from '../../../server/webhooks/secret-box.js';
import { redactWebhookDeliveriesFor, REDACTED } from '../../../server/webhooks/redact.js';
import { appendEvent } from '../../../server/events/append.js';

const KEY = randomBytes(32);

async function waitUntil<T>(fn: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejection(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('webhook endpoints', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp({
      env: { APP_SECRET_KEY: KEY.toString('base64'), WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '100' },
    }));
    admin = await adminSession(app);
    rx = await startWebhookReceiver();
  });
  afterEach(async () => {
    await sql(app, `delete from webhook_endpoint`);
    rx.received.length = 0;
    app.clock.reset();
    admin = await adminSession(app);
  });
  afterAll(async () => {
    await (rx as WebhookReceiver | undefined)?.stop();
    await (stop as (() => Promise<void>) | undefined)?.();
  });

  const hooks = () => admin.caller.admin.settings.webhooks;
  const create = (path: string, eventTypes: string[] = ['user.*']) => hooks().create({ url: rx.url(path), description: 'CRM', eventTypes, enabled: true });
  async function activateSomeone() {
    const u = await insertUser(app, { status: 'pending' });
    await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    return u;
  }

  it('refuses bad input with 400 and changes nothing', async () => {
    const bad: Record<string, unknown>[] = [
      { url: 'ftp://example.com/x', eventTypes: ['*'] },
      { url: 'not a url', eventTypes: ['*'] },
      { url: 'https://user:pw@example.com/x', eventTypes: ['*'] },
      { url: 'https://example.com/x', eventTypes: [] },
      { url: 'https://example.com/x', eventTypes: ['email.sent'] },
      { url: 'https://example.com/x', eventTypes: ['webhook.*'] },
      { url: 'https://example.com/x', eventTypes: ['user.*', 'user.*'] },
      { url: 'https://example.com/' + 'x'.repeat(2100), eventTypes: ['*'] },
      { url: 'https://example.com/x', eventTypes: ['*'], description: 'a\u202Eb' },
    ];
    for (const input of bad) {
      const err = await rejection(hooks().create(input as never));
      expect(err?.code, JSON.stringify(input).slice(0, 80)).toBe('BAD_REQUEST');
    }
    expect(await sqlCount(app, `select count(*) from webhook_endpoint`)).toBe(0);
    const { endpoint } = await create('/x');
    expect((await rejection(hooks().update({ id: endpoint.id, version: endpoint.version + 1, enabled: false })))?.code).toBe('CONFLICT');
    expect((await rejection(hooks().update({ id: endpoint.id, version: endpoint.version, url: 'javascript:alert(1)' })))?.code).toBe('BAD_REQUEST');
    expect((await rejection(hooks().replay({ deliveryId: 999_999_999 })))?.code).toBe('NOT_FOUND');
    expect((await rejection(hooks().replayFailed({ endpointId: endpoint.id, since: 'yesterday' })))?.code).toBe('BAD_REQUEST');
    expect((await rejection(hooks().deliveries({ endpointId: '00000000-0000-4000-8000-000000000000' })))?.code).toBe('NOT_FOUND');
    expect((await rejection(hooks().get({ id: 'nope' })))?.code).toBe('BAD_REQUEST');
    expect((await hooks().get({ id: endpoint.id })).enabled).toBe(true);
  });

  it('shows the secret once, stores it sealed with AES-256-GCM, and never returns it again', async () => {
    const { endpoint, secret } = await create('/sealed');
    const [row] = await sql(app, `select secret_enc from webhook_endpoint where id = ?`, [endpoint.id]);
    expect(row.secret_enc).not.toContain(secret.slice(6, 20));
    expect(row.secret_enc.startsWith(`v1.${keyId(KEY)}.`)).toBe(true);
    expect(createSecretBox([KEY]).open(row.secret_enc)).toBe(secret);
    // Tampering is detected (GCM tag).
    const parts = row.secret_enc.split('.');
    // Flip one bit of the first ciphertext byte (always a change, whatever the byte was).
    const sealed = Buffer.from(parts[4], 'base64url');
    sealed[0] = sealed[0]! ^ 0x01;
    parts[4] = sealed.toString('base64url');
    expect(parts.join('.')).not.toBe(row.secret_enc);
    expect(() => createSecretBox([KEY]).open(parts.join('.'))).toThrow();
    const listed = JSON.stringify(await hooks().list());
    expect(listed).not.toContain(secret.slice(6, 20));
    expect(listed).not.toContain(row.secret_enc);
  });

  it('asks for the password again when the last check is older than 10 minutes', async () => {
    app.clock.advance(11 * 60_000);
    const err = await rejection(create('/reauth'));
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.cause?.reason ?? err?.data?.reason ?? err?.shape?.data?.reason).toBe('REAUTH_REQUIRED');
    expect(await sqlCount(app, `select count(*) from webhook_endpoint`)).toBe(0);
    await admin.caller.auth.confirmPassword({ password: admin.password! });
    const { endpoint } = await create('/reauth');
    app.clock.advance(11 * 60_000);
    expect((await rejection(hooks().update({ id: endpoint.id, version: endpoint.version, enabled: false })))?.code).toBe('FORBIDDEN');
    expect((await rejection(hooks().rotateSecret({ id: endpoint.id })))?.code).toBe('FORBIDDEN');
    expect((await rejection(hooks().delete({ id: endpoint.id })))?.code).toBe('FORBIDDEN');
  });

  it('emails every admin when an endpoint is created', async () => {
    const other = await adminSession(app);
    await hooks().create({ url: rx.url('/notice'), description: 'Billing sync', eventTypes: ['*'], enabled: true });
    for (const a of [admin, other]) {
      const mail = await smtp.waitForMessageTo(a.email);
      expect(mail.subject).toMatch(/webhook endpoint/i);
      expect(mail.subject).toContain('Billing sync');
    }
  });

  it('sends both signatures during the 24-hour grace period after a rotation, then only the new one', async () => {
    const { endpoint, secret: oldSecret } = await create('/rotate', ['*']);
    const { secret: newSecret, previousSecretValidUntil } = await hooks().rotateSecret({ id: endpoint.id });
    expect(newSecret).not.toBe(oldSecret);
    expect(new Date(previousSecretValidUntil).getTime() - app.clock.now().getTime()).toBeGreaterThan(23.9 * 3600_000);
    await hooks().sendTest({ id: endpoint.id });
    const [during] = await rx.waitFor(1, '/rotate');
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // A receiver still on the old secret and one already on the new both accept it.
    expect((new Webhook(oldSecret).verify(during!.body, during!.headers as Record<string, string>) as any).type).toBe('webhook.test');
    expect((new Webhook(newSecret).verify(during!.body, during!.headers as Record<string, string>) as any).type).toBe('webhook.test');
    app.clock.advance(24 * 3600_000 + 1000);
    admin = await adminSession(app);
    await hooks().sendTest({ id: endpoint.id });
    const [, after] = await rx.waitFor(2, '/rotate');
    expect(String(after!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(oldSecret).verify(after!.body, after!.headers as Record<string, string>)).toThrow();
    expect((new Webhook(newSecret).verify(after!.body, after!.headers as Record<string, string>) as any).type).toBe('webhook.test');
  });

  it('sends first attempts in event order per endpoint, and a retrying delivery does not hold back later ones', async () => {
    const { endpoint } = await create('/order');
    rx.reply('/order', { status: 500, body: 'first one fails' });
    for (let i = 0; i < 6; i++) await activateSomeone();
    const got = await rx.waitFor(6, '/order');
    const ids = got.map((r) => JSON.parse(r.body).data.eventId as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(got[0]!.answered).toBe(500);
    // The first is still retrying (5 s later) while the five after it are delivered.
    const rows = await sql(app, `select status from webhook_delivery where endpoint_id = ? order by id`, [endpoint.id]);
    await waitUntil(
      async () => (await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ? and status = 'succeeded'`, [endpoint.id])) === 5,
      'five successes',
    );
    expect(rows[0].status).toBe('pending');
    app.clock.advance(5_000);
    await app.webhooks.worker!.drain();
    expect(await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ? and status = 'succeeded'`, [endpoint.id])).toBe(6);
  });

  it('two processes on one database deliver every event exactly once', async () => {
    const second = await startTestApp({
      db: app.db,
      env: { APP_SECRET_KEY: KEY.toString('base64'), WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '50' },
    });
    try {
      const { endpoint } = await create('/twice', ['settings.changed']);
      for (let i = 0; i < 20; i++) {
        await app.services.em().transactional((tx) => appendEvent(tx, 'settings.changed', { changes: { n: { from: i, to: i + 1 } } }, { actorId: admin.id }));
      }
      await rx.waitFor(20, '/twice');
      await waitUntil(
        async () => (await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ? and status = 'succeeded'`, [endpoint.id])) === 20,
        'all recorded',
      );
      await Promise.all([app.webhooks.worker!.drain(), second.webhooks.worker!.drain()]);
      const got = rx.received.filter((r) => r.path === '/twice');
      expect(got).toHaveLength(20);
      expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(20);
      const ns = got.map((r) => JSON.parse(r.body).data.changes.n.to as number);
      expect(ns).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await second.stop();
    }
  });

  it('disables an endpoint that kept failing for 5 days and emails the admins', async () => {
    const { endpoint } = await create('/failing', ['*']);
    rx.reply('/failing', ...Array.from({ length: 10 }, () => ({ status: 500 })));
    await hooks().sendTest({ id: endpoint.id });
    await waitUntil(async () => (await sql(app, `select failing_since from webhook_endpoint where id = ?`, [endpoint.id]))[0].failing_since, 'a failure');
    app.clock.advance(4 * 24 * 3600_000);
    admin = await adminSession(app);
    await hooks().sendTest({ id: endpoint.id });
    await rx.waitFor(3, '/failing');
    await app.webhooks.worker!.drain();
    expect((await hooks().get({ id: endpoint.id })).enabled).toBe(true);
    app.clock.advance(24 * 3600_000);
    await app.webhooks.worker!.drain();
    const adminThen = admin;
    admin = await adminSession(app);
    const e = await hooks().get({ id: endpoint.id });
    expect(e.enabled).toBe(false);
    expect(e.disabledReason).toMatch(/5 days/);
    expect(await sqlCount(app, `select count(*) from webhook_delivery where endpoint_id = ? and status = 'pending'`, [endpoint.id])).toBe(0);
    const mail = await smtp.waitForMessageTo(adminThen.email);
    expect(mail.subject).toContain('Webhook endpoint disabled');
    // Enabling it again starts afresh.
    const again = await hooks().update({ id: endpoint.id, version: e.version, enabled: true });
    expect(again.disabledReason).toBeNull();
    expect(again.failingSince).toBeNull();
  });

  it('streams delivery-log changes live to admins over the WebSocket', async () => {
    const { endpoint } = await create('/live', ['*']);
    const ws = wsClient(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      const seen = new Promise<string>((resolve, reject) => {
        const sub = ws.trpc.admin.settings.webhooks.onDelivery.subscribe(
          { endpointId: endpoint.id },
          {
            onStarted: () => void hooks().sendTest({ id: endpoint.id }),
            onData: (d) => {
              sub.unsubscribe();
              resolve(d.endpointId);
            },
            onError: reject,
          },
        );
      });
      expect(await seen).toBe(endpoint.id);
    } finally {
      await ws.close();
    }
  });

  it('redacts a forgotten person in the delivery log (redactWebhookDeliveriesFor)', async () => {
    const { endpoint } = await create('/forget');
    const u = await activateSomeone();
    await rx.waitFor(1, '/forget');
    const n = await app.services.em().transactional((tx) => redactWebhookDeliveriesFor(tx, { userId: u.id, emails: [u.email.toUpperCase()] }));
    expect(n).toBe(1);
    const [row] = await sql(app, `select payload from webhook_delivery where endpoint_id = ?`, [endpoint.id]);
    expect(JSON.stringify(row.payload)).not.toContain(u.email);
    expect(row.payload.data.user.email).toBe(REDACTED);
    expect(row.payload.data.user.firstName).toBe(REDACTED);
    expect(row.payload.data.user.id).toBe(u.id);
    expect(row.payload.type).toBe('user.activated');
  });
});

describe('webhooks without APP_SECRET_KEY in production', () => {
  it('refuse to create an endpoint, and refuse to start once endpoints exist', async () => {
    const db = await createTestDatabase();
    try {
      const prod = await startTestApp({ db, env: { NODE_ENV: 'production', DATABASE_URL: db.url } });
      try {
        const a = await adminSession(prod);
        const err = await rejection(a.caller.admin.settings.webhooks.create({ url: 'https://example.com/h', eventTypes: ['*'] }));
        expect(err?.code).toBe('SERVICE_UNAVAILABLE');
        expect(err?.message).toMatch(/APP_SECRET_KEY/);
        expect((await a.caller.admin.settings.webhooks.list()).secretKeyConfigured).toBe(false);
      } finally {
        await prod.stop();
      }
      // An endpoint sealed with a key, then a restart without it.
      const withKey = await startTestApp({ db, env: { NODE_ENV: 'production', DATABASE_URL: db.url, APP_SECRET_KEY: KEY.toString('base64') } });
      try {
        const a = await adminSession(withKey);
        await a.caller.admin.settings.webhooks.create({ url: 'https://example.com/h', eventTypes: ['*'] });
      } finally {
        await withKey.stop();
      }
      const refused = await rejection(startTestApp({ db, env: { NODE_ENV: 'production', DATABASE_URL: db.url } }));
      expect(String(refused?.message)).toMatch(/^APP_SECRET_KEY is not set: 1 webhook endpoint cannot be signed/);
      // Key rotation: new key first, old one still listed; start-up re-seals with the new one.
      const NEW = randomBytes(32);
      const rotated = await startTestApp({
        db,
        env: { NODE_ENV: 'production', DATABASE_URL: db.url, APP_SECRET_KEY: `${NEW.toString('base64')},${KEY.toString('base64')}` },
      });
      try {
        const [row] = await sql(rotated, `select secret_enc from webhook_endpoint`);
        expect(row.secret_enc.startsWith(`v1.${keyId(NEW)}.`)).toBe(true);
        expect(createSecretBox([NEW]).open(row.secret_enc)).toMatch(/^whsec_/);
      } finally {
        await rotated.stop();
      }
    } finally {
      await db.drop();
    }
  });
});
