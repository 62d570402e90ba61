import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFrom, sql, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { adminSession, uniqueEmail } from '../../support/users.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('invite email over a real SMTP peer', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let defaultOrg: string;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
    admin = await adminSession(app);
    defaultOrg = (await sql(app, `select id from organisation where is_default`))[0].id;
  });
  afterAll(() => stop());

  const add = (email: string) =>
    admin.caller.admin.users.add({ firstName: 'Linus', lastName: 'Mailed', email, organisationId: defaultOrg, mode: 'invite', sendInvite: true });

  it('is delivered with a link to the registration form that works exactly once; the admin sees "delivered"', async () => {
    const email = uniqueEmail('smtp-invite');
    const { user } = await add(email);
    const mail = await smtp.waitForMessageTo(email);
    expect(mail.subject).toBe('Test User invited you to Admit Developer Portal');
    const link = mail.links.find((l) => l.includes('/invite#token='))!;
    expect(link.startsWith(`${app.services.publicUrl()}/invite#token=`)).toBe(true);
    expect(mail.html).toContain(link.replace(/&/g, '&amp;'));
    expect(mail.text).toMatch(/expires on/);
    const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token')!;

    // Delivered, per the outbox; and the link no longer sits in the database.
    await expect.poll(async () => (await admin.caller.admin.invites.forUser({ userId: user.id })).latest?.delivery?.status, { timeout: 10_000 }).toBe('sent');
    const [row] = await sql(app, `select variables::text as v from email_outbox where user_id = ? and template = 'invite'`, [user.id]);
    expect(row.v).not.toContain(token);

    const info = await app.caller().invite.inspect({ token });
    expect(info.email).toBe(email);
    const caller = app.caller();
    await caller.invite.accept({ token, firstName: 'Linus', lastName: 'Mailed', password: 'linus password', confirmPassword: 'linus password' });
    expect(sessionIdFrom(caller.cookies)).toBeTruthy();
    const second = await err(
      app.caller().invite.accept({ token, firstName: 'Linus', lastName: 'Mailed', password: 'other password', confirmPassword: 'other password' }),
    );
    expect(second.reason).toBe('TOKEN_USED');

    // The welcome email follows.
    await smtp.waitForMessages(2, { match: (m) => m.envelopeTo.includes(email.toLowerCase()) });
  });

  it('a resent invite arrives with a new link; the first email’s link no longer works', async () => {
    const email = uniqueEmail('smtp-resend');
    const { user } = await add(email);
    const first = await smtp.waitForMessageTo(email);
    await admin.caller.admin.invites.resend({ userId: user.id });
    const both = await smtp.waitForMessages(2, { match: (m) => m.envelopeTo.includes(email.toLowerCase()) });
    const tokenOf = (m: (typeof both)[number]) => new URLSearchParams(new URL(m.links.find((l) => l.includes('/invite#token='))!).hash.slice(1)).get('token')!;
    const oldToken = tokenOf(first);
    const newToken = tokenOf(both.find((m) => m !== first)!);
    expect(newToken).not.toBe(oldToken);
    expect((await err(app.caller().invite.inspect({ token: oldToken }))).reason).toBe('TOKEN_REVOKED');
    await app.caller().invite.inspect({ token: newToken });
  });

  it('a refused delivery shows as failed on the user page', async () => {
    const email = uniqueEmail('smtp-refused');
    smtp.failWith({ code: 550, message: 'Mailbox unavailable' });
    try {
      const { user } = await add(email);
      await expect
        .poll(async () => (await admin.caller.admin.invites.forUser({ userId: user.id })).latest?.delivery?.status, { timeout: 10_000 })
        .toBe('failed');
      const { latest } = await admin.caller.admin.invites.forUser({ userId: user.id });
      expect(latest!.delivery!.lastError).toMatch(/550|unavailable/i);
    } finally {
      smtp.failWith(null);
    }
  });
});
