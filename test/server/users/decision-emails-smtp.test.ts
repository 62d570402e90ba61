import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';
import { setRequireEmailVerification } from '../../support/verify.js';

const PASSWORD = 'a fine passphrase';

describe('emails of registration and decisions reach a real SMTP peer', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
    await setRequireEmailVerification(app, false); // not what this file tests
    admin = await adminSession(app);
    await app.services.em().transactional((tx) => writeSetting(tx, 'portalName', 'Acme Developer Portal'));
  });
  afterAll(() => stop());

  it('an activated developer receives "account activated" with the login link', async () => {
    const u = await insertUser(app, { status: 'pending', firstName: 'Ada', password: PASSWORD });
    await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    const mail = await smtp.waitForMessageTo(u.email);
    expect(mail.subject).toBe('Your Acme Developer Portal account is active');
    expect(mail.text).toContain('Ada');
    expect(mail.links).toContain(`${app.services.publicUrl()}/login`);
    // The worker marks the row sent right after the peer accepted it.
    await vi.waitFor(async () => {
      const [row] = await sql(app, `select status from email_outbox where user_id = ? and template = 'account-activated'`, [u.id]);
      expect(row.status).toBe('sent');
    });
  });

  it('a rejected developer receives the reason, escaped in the HTML part', async () => {
    const u = await insertUser(app, { status: 'pending', firstName: 'Rex', password: PASSWORD });
    await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: 1, reason: 'Only <b>partner</b> companies.' });
    const mail = await smtp.waitForMessageTo(u.email);
    expect(mail.subject).toBe('Your registration at Acme Developer Portal');
    expect(mail.text).toContain('Reason given: Only <b>partner</b> companies.');
    expect(mail.html).toContain('Only &lt;b&gt;partner&lt;/b&gt; companies.');
    expect(mail.html).not.toContain('<b>partner</b>');
  });

  it('a pending registration sends "registration received" to the user and a link to the user page to each admin', async () => {
    const email = `smtp.${Date.now()}@example.test`;
    await app.caller().auth.signup({ firstName: 'Nia', lastName: 'New', email, password: PASSWORD, confirmPassword: PASSWORD });
    const [{ id }] = await sql(app, `select id from app_user where email = ?`, [email]);
    const mine = await smtp.waitForMessageTo(email);
    expect(mine.subject).toBe('We received your registration at Acme Developer Portal');
    const toAdmin = await smtp.waitForMessages(1, { match: (m) => m.envelopeTo.includes(admin.email.toLowerCase()) && m.text.includes(email) });
    expect(toAdmin[0]!.subject).toBe('New registration: Nia New');
    expect(toAdmin[0]!.links).toContain(`${app.services.publicUrl()}/admin/users/${id}`);
  });
});
