import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql, type TestApp } from '../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../support/smtp.js';
import { adminSession, insertUser, uniqueEmail } from '../support/users.js';
import { queueEmail } from '../../server/mail/outbox.js';
import { requestPasswordReset } from '../../server/auth/password-reset.service.js';

/**
 * Issue 10, item 7: outbound mail cannot be turned into a weapon against a third party's inbox.
 * A real SMTP peer (test/support/smtp.ts) receives what the mail worker really sends.
 */
describe('per-recipient cap and suppression list', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
    admin = await adminSession(app);
  });
  afterAll(() => stop());
  beforeEach(async () => {
    await admin.caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 5, perRecipientPerDay: 20 });
  });

  const outboxOf = (to: string) =>
    sql<{ id: string; template: string; status: string; last_error: string | null; variables: Record<string, unknown> }>(
      app,
      `select id, template, status, last_error, variables from email_outbox where lower(to_address) = lower(?) order by id`,
      [to],
    );
  const notice = (to: string) =>
    app.services
      .em()
      .transactional((tx) =>
        queueEmail(tx, 'signup-attempt-existing', to, { firstName: 'Vic', loginUrl: 'http://x/login', resetUrl: 'http://x/forgot-password' }),
      );
  const settle = async () => {
    await app.mailWorker!.drain();
    await new Promise((r) => setTimeout(r, 200));
  };

  it('defaults to 5 an hour and 20 a day, in Settings > Emails', async () => {
    await app.services.em().execute(`delete from setting where key = 'mailCaps'`);
    expect(await admin.caller.admin.settings.emails.caps()).toEqual({ perRecipientPerHour: 5, perRecipientPerDay: 20, version: 1 });
    const bad = await admin.caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 0, perRecipientPerDay: 20 }).catch((e) => e);
    expect(bad.code).toBe('BAD_REQUEST');
  });

  it('holds back reset requests past the hourly cap: recorded as suppressed with the reason, never sent, no token kept', async () => {
    await admin.caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 3, perRecipientPerDay: 20 });
    const victim = await insertUser(app, { firstName: 'Vera' });
    for (let i = 0; i < 6; i++) await requestPasswordReset(app.services, victim.email);
    await settle();
    const rows = await outboxOf(victim.email);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'suppressed', 'suppressed', 'suppressed']);
    expect(rows[3]!.last_error).toMatch(/per-recipient cap/);
    expect(rows[3]!.variables).not.toHaveProperty('resetUrl');
    expect(smtp.messagesTo(victim.email)).toHaveLength(3);
    // The delivery queue shows them, with why.
    const outbox = await admin.caller.admin.mail.outbox({ status: 'suppressed', limit: 100 });
    expect(outbox.items.filter((i) => i.to === victim.email)).toHaveLength(3);
    expect(outbox.counts.suppressed).toBeGreaterThanOrEqual(3);
  });

  it('counts concurrent requests exactly: ten at once with a cap of 3 queue exactly 3', async () => {
    await admin.caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 3, perRecipientPerDay: 20 });
    const to = uniqueEmail('burst');
    await Promise.all(Array.from({ length: 10 }, () => notice(to)));
    const rows = await outboxOf(to);
    expect(rows.filter((r) => r.status !== 'suppressed')).toHaveLength(3);
    expect(rows.filter((r) => r.status === 'suppressed')).toHaveLength(7);
  });

  it('applies the daily cap across hours', async () => {
    await admin.caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 10, perRecipientPerDay: 4 });
    const to = uniqueEmail('daily');
    for (let i = 0; i < 3; i++) await notice(to);
    // Three of them were sent earlier today, outside the last hour.
    await sql(app, `update email_outbox set created_at = now() - interval '5 hours' where lower(to_address) = lower(?)`, [to]);
    await notice(to);
    await notice(to);
    const rows = await outboxOf(to);
    expect(rows.map((r) => r.status === 'suppressed')).toEqual([false, false, false, false, true]);
    expect(rows[4]!.last_error).toMatch(/past day/);
  });

  it('never caps essential emails (decisions, admin notifications), nor counts them', async () => {
    await admin.caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 1, perRecipientPerDay: 1 });
    const to = uniqueEmail('essential');
    await app.services.em().transactional(async (tx) => {
      for (let i = 0; i < 4; i++) await queueEmail(tx, 'account-activated', to, { firstName: 'Ed', loginUrl: 'http://x/login' });
    });
    await notice(to);
    await notice(to);
    const rows = await outboxOf(to);
    expect(rows.map((r) => `${r.template}:${r.status === 'suppressed'}`)).toEqual([
      ...Array(4).fill('account-activated:false'),
      'signup-attempt-existing:false',
      'signup-attempt-existing:true',
    ]);
  });

  it('honours the suppression list for every template but the one the person just asked for', async () => {
    const person = await insertUser(app, { firstName: 'Sue' });
    await admin.caller.admin.mail.suppressions.add({ email: `  ${person.email.toUpperCase()} `, reason: 'Asked not to be mailed' });
    const listed = await admin.caller.admin.mail.suppressions.list();
    expect(listed.items.find((i) => i.address === person.email.toLowerCase())).toMatchObject({ source: 'admin', reason: 'Asked not to be mailed' });
    const dup = await admin.caller.admin.mail.suppressions.add({ email: person.email, reason: 'again' }).catch((e) => e);
    expect(dup.code).toBe('CONFLICT');

    await notice(person.email);
    await app.services.em().transactional((tx) => queueEmail(tx, 'account-activated', person.email, { firstName: 'Sue', loginUrl: 'http://x/login' }));
    // The reset link she asks for now is still sent.
    await requestPasswordReset(app.services, person.email);
    await settle();
    const rows = await outboxOf(person.email);
    expect(rows.map((r) => `${r.template}:${r.status}`)).toEqual(['signup-attempt-existing:suppressed', 'account-activated:suppressed', 'password-reset:sent']);
    expect(rows[0]!.last_error).toContain('suppression list (Asked not to be mailed)');
    const got = smtp.messagesTo(person.email);
    expect(got.map((m) => m.subject)).toEqual(['Reset your Admit Developer Portal password']);

    // Removed from the list: mail flows again; both changes are events.
    await admin.caller.admin.mail.suppressions.remove({ email: person.email });
    await notice(person.email);
    expect((await outboxOf(person.email)).at(-1)!.status).toBe('pending');
    const events = await sql(app, `select type, actor_id from domain_event where type like 'mail.suppression_%' and data->>'address' = ? order by id`, [
      person.email.toLowerCase(),
    ]);
    expect(events).toEqual([
      { type: 'mail.suppression_added', actor_id: admin.id },
      { type: 'mail.suppression_removed', actor_id: admin.id },
    ]);
  });

  it('a permanent 5xx to RCPT TO suppresses the address; a 5xx to MAIL FROM does not', async () => {
    const gone = uniqueEmail('gone');
    smtp.rejectRecipient(gone, { code: 550, message: 'No such user here' });
    const id = await app.services.em().transactional((tx) => queueEmail(tx, 'account-activated', gone, { firstName: 'G', loginUrl: 'http://x/login' }));
    await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [id]))[0].status, { timeout: 10_000 }).toBe('failed');
    const [entry] = await sql(app, `select source, reason from email_suppression where address = lower(?)`, [gone]);
    expect(entry.source).toBe('bounce');
    expect(entry.reason).toMatch(/550/);
    // The next email to it is held back, and the admin sees it as bounced.
    await notice(gone);
    expect((await outboxOf(gone)).at(-1)!.status).toBe('suppressed');
    expect((await outboxOf(gone)).at(-1)!.last_error).toContain('bounced');

    // A refusal of the sender is not the recipient's fault.
    const other = uniqueEmail('sender-refused');
    smtp.failWith({ code: 550, message: 'Sender rejected' });
    try {
      const id2 = await app.services.em().transactional((tx) => queueEmail(tx, 'account-activated', other, { firstName: 'O', loginUrl: 'http://x/login' }));
      await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [id2]))[0].status, { timeout: 10_000 }).toBe('failed');
    } finally {
      smtp.failWith(null);
    }
    expect(await sql(app, `select 1 from email_suppression where address = lower(?)`, [other])).toHaveLength(0);
  });

  it('only admins manage the suppression list and the cap', async () => {
    const dev = await insertUser(app, {});
    const { loginAs } = await import('../support/users.js');
    const caller = app.caller({ sessionId: await loginAs(app, dev.email, dev.password!) });
    expect((await caller.admin.mail.suppressions.list().catch((e) => e)).code).toBe('FORBIDDEN');
    expect((await caller.admin.settings.emails.saveCaps({ perRecipientPerHour: 100, perRecipientPerDay: 100 }).catch((e) => e)).code).toBe('FORBIDDEN');
  });
});
