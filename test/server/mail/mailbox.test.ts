import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import type { Logger } from '../../../server/logger.js';

describe('the built-in mailbox (no SMTP_URL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('keeps each email in the database and shows it to admins through admin.mail', async () => {
    const to = uniqueEmail('mailbox');
    const link = `${app.services.publicUrl()}/reset-password?token=mailboxToken1234567890`;
    const outboxId = await app.services
      .em()
      .transactional((tx) => queueEmail(tx, 'password-reset', to, { firstName: 'Mo', resetUrl: link, expiresInMinutes: 60 }));
    await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [outboxId]))[0].status).toBe('sent');

    const { caller } = await adminSession(app);
    const list = await caller.admin.mail.messages({ search: to });
    expect(list.transport).toBe('mailbox');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ to, template: 'password-reset', subject: 'Reset your Admit Developer Portal password' });
    expect(list.items[0]!.from).toBe(`"Admit Developer Portal" <no-reply@localhost>`);

    // Addressed to someone else: the token link is hidden until revealed.
    const hidden = await caller.admin.mail.message({ id: list.items[0]!.id });
    expect(hidden.hiddenLinks).toBe(1);
    expect(hidden.html).not.toContain('mailboxToken1234567890');
    const message = await caller.admin.mail.reveal({ id: list.items[0]!.id });
    expect(message.outboxId).toBe(outboxId);
    expect(message.html).toContain(`href="${link}"`);
    expect(message.text).toContain(link);
    expect((await sql(app, `select message_id from email_outbox where id = ?`, [outboxId]))[0].message_id).toBe(`mailbox-${message.id}`);

    const outbox = await caller.admin.mail.outbox({ status: 'sent' });
    expect(outbox.items.find((i) => i.id === outboxId)).toMatchObject({ status: 'sent', attempts: 1, to });
    expect(outbox.counts.sent).toBeGreaterThanOrEqual(1);
  });

  it('pages through the mailbox newest first', async () => {
    const tag = uniqueEmail('page').split('@')[0]!;
    await app.services.em().transactional(async (tx) => {
      for (let i = 0; i < 5; i++) await queueEmail(tx, 'registration-received', `${tag}.${i}@example.test`, { firstName: `P${i}` });
    });
    await app.mailWorker!.drain();
    const { caller } = await adminSession(app);
    const first = await caller.admin.mail.messages({ search: tag, limit: 3 });
    expect(first.items.map((i) => i.to)).toEqual([4, 3, 2].map((i) => `${tag}.${i}@example.test`));
    const second = await caller.admin.mail.messages({ search: tag, limit: 3, cursor: first.nextCursor });
    expect(second.items.map((i) => i.to)).toEqual([1, 0].map((i) => `${tag}.${i}@example.test`));
    expect(second.nextCursor).toBeNull();
  });

  it('prints subject, recipient and links of each email in the server log', async () => {
    const lines: string[] = [];
    const log: Logger = {
      debug: () => undefined,
      info: (msg, fields) => lines.push(`${msg} ${JSON.stringify(fields ?? {})}`),
      warn: () => undefined,
      error: () => undefined,
    };
    const worker = createMailWorker({ ...app.services, log }, { databaseUrl: app.db.url, listen: false });
    const to = uniqueEmail('logged');
    const link = `${app.services.publicUrl()}/login`;
    // Stop the app's own worker for this row: the test worker claims it first or not at all.
    await app.mailWorker!.stop();
    try {
      await app.services.em().transactional((tx) => queueEmail(tx, 'account-activated', to, { firstName: 'Lu', loginUrl: link }));
      await worker.drain();
    } finally {
      await worker.stop();
      await app.mailWorker!.start();
    }
    const line = lines.find((l) => l.includes(to));
    expect(line).toBeDefined();
    expect(line).toContain('email delivered to the built-in mailbox');
    expect(line).toContain('Your Admit Developer Portal account is active');
    expect(line).toContain(link);
  });

  it('retries a failed email on request, but not one whose one-time link was discarded', async () => {
    const { caller } = await adminSession(app);
    const plain = await app.services.em().transactional(async (tx) => {
      const id = await queueEmail(tx, 'registration-received', uniqueEmail('retry'), { firstName: 'R' });
      await tx.execute(`update email_outbox set status = 'failed', attempts = 8, last_error = 'boom' where id = ?`, [id]);
      return id;
    });
    const secret = await app.services.em().transactional(async (tx) => {
      const id = await queueEmail(tx, 'password-reset', uniqueEmail('retry'), { firstName: 'S', resetUrl: 'http://x/reset', expiresInMinutes: 60 });
      await tx.execute(`update email_outbox set status = 'failed', attempts = 8, last_error = 'boom', variables = variables - 'resetUrl' where id = ?`, [id]);
      return id;
    });
    const failed = await caller.admin.mail.outbox({ status: 'failed' });
    expect(failed.items.find((i) => i.id === plain)?.retryable).toBe(true);
    expect(failed.items.find((i) => i.id === secret)?.retryable).toBe(false);

    const refused = await caller.admin.mail.retry({ id: secret }).catch((e) => e);
    expect(refused.reason).toBe('NOT_RETRYABLE');

    await caller.admin.mail.retry({ id: plain });
    await expect
      .poll(async () => (await sql(app, `select status, attempts from email_outbox where id = ?`, [plain]))[0])
      .toEqual({ status: 'sent', attempts: 1 });
    const again = await caller.admin.mail.retry({ id: plain }).catch((e) => e);
    expect(again.code).toBe('CONFLICT');
  });

  it('is for admins only', async () => {
    const dev = await developerSession(app);
    for (const call of [() => dev.caller.admin.mail.messages({}), () => dev.caller.admin.mail.message({ id: 1 }), () => app.caller().admin.mail.outbox({})]) {
      expect((await call().catch((e) => e)).code).toBe('FORBIDDEN');
    }
  });
});
