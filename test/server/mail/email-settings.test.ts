import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { adminSession, developerSession, uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { TEMPLATE_CONTENT } from '../../../emails/content.js';

describe('Settings > Emails', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
    admin = await adminSession(app);
  });
  afterAll(() => stop());

  it('lists every template with its shipped words and placeholders', async () => {
    const s = await admin.caller.admin.settings.emails.get();
    expect(s.transport).toBe('smtp');
    expect(s.templates.map((t) => t.name)).toEqual(Object.keys(TEMPLATE_CONTENT));
    const reset = s.templates.find((t) => t.name === 'password-reset')!;
    expect(reset).toMatchObject({
      customized: false,
      subject: TEMPLATE_CONTENT['password-reset'].subject,
      defaultSubject: TEMPLATE_CONTENT['password-reset'].subject,
    });
    expect(reset.placeholders).toEqual(['firstName', 'resetUrl', 'expiresInMinutes', 'portalName', 'publicUrl']);
    expect(s.sender.effectiveFrom).toBe('"Admit Developer Portal" <no-reply@admit.test>');
  });

  it('previews a draft with the real template, escaping what the admin typed', async () => {
    const p = await admin.caller.admin.settings.emails.preview({
      template: 'welcome',
      subject: 'Hello {{firstName}}!',
      mainText: 'Dear {{firstName}} <i>friend</i>,\n\nWelcome aboard {{nope}}.',
    });
    expect(p.subject).toBe('Hello Ada!');
    expect(p.html).toContain('Dear Ada &lt;i&gt;friend&lt;/i&gt;,');
    expect(p.html).toContain('Admit Developer Portal');
    expect(p.text).toContain('Welcome aboard {{nope}}.');
    expect(p.unknownPlaceholders).toEqual(['nope']);
    // Nothing was saved by previewing.
    expect((await admin.caller.admin.settings.emails.get()).templates.find((t) => t.name === 'welcome')!.customized).toBe(false);
  });

  it('sends emails with the saved words, and "reset to default" brings the shipped ones back', async () => {
    await admin.caller.admin.settings.emails.saveTemplate({
      template: 'registration-received',
      subject: 'Thanks, {{firstName}}: we got it',
      mainText: 'Hello {{firstName}},\n\nYour request for {{portalName}} is in our queue.',
    });
    const saved = (await admin.caller.admin.settings.emails.get()).templates.find((t) => t.name === 'registration-received')!;
    expect(saved).toMatchObject({ customized: true, subject: 'Thanks, {{firstName}}: we got it' });

    const to = uniqueEmail('custom');
    await app.services.em().transactional((tx) => queueEmail(tx, 'registration-received', to, { firstName: 'Nia' }));
    const m = await smtp.waitForMessageTo(to);
    expect(m.subject).toBe('Thanks, Nia: we got it');
    expect(m.text).toContain('Your request for Admit Developer Portal is in our queue.');
    expect(m.html).toContain('Your request for Admit Developer Portal is in our queue.');

    const events = await sql(app, `select actor_id, data from domain_event where type = 'settings.changed' order by id desc limit 1`);
    expect(events[0].actor_id).toBe(admin.id);
    expect(Object.keys(events[0].data.changes)).toEqual(['emails.registration-received']);

    await admin.caller.admin.settings.emails.resetTemplate({ template: 'registration-received' });
    expect((await admin.caller.admin.settings.emails.get()).templates.find((t) => t.name === 'registration-received')!.customized).toBe(false);
    const after = uniqueEmail('default');
    await app.services.em().transactional((tx) => queueEmail(tx, 'registration-received', after, { firstName: 'Nia' }));
    expect((await smtp.waitForMessageTo(after)).subject).toBe('We received your registration at Admit Developer Portal');
  });

  it('refuses unknown placeholders and line breaks in the subject, changing nothing', async () => {
    const e = await admin.caller.admin.settings.emails
      .saveTemplate({ template: 'welcome', subject: 'Hi {{resetUrl}}', mainText: 'Hello {{fristName}}' })
      .catch((x) => x);
    expect(e.reason).toBe('UNKNOWN_PLACEHOLDER');
    expect(e.fieldErrors.subject).toContain('{{resetUrl}}');
    expect(e.fieldErrors.mainText).toContain('{{fristName}}');
    const crlf = await admin.caller.admin.settings.emails
      .saveTemplate({ template: 'welcome', subject: 'Hi\r\nBcc: x@evil.test', mainText: 'Hello' })
      .catch((x) => x);
    expect(crlf.code).toBe('BAD_REQUEST');
    expect((await admin.caller.admin.settings.emails.get()).templates.find((t) => t.name === 'welcome')!.customized).toBe(false);
  });

  it('sends a test email of the saved version to the admin', async () => {
    const r = await admin.caller.admin.settings.emails.sendTest({ template: 'invite' });
    expect(r).toEqual({ ok: true, to: admin.email });
    const m = await smtp.waitForMessages(1, { match: (x) => x.envelopeTo.includes(admin.email.toLowerCase()) && x.subject.includes('invited you') });
    expect(m[0]!.subject).toBe('Grace Hopper invited you to Admit Developer Portal');
    expect(m[0]!.text).toContain(`${app.services.publicUrl()}/invite#token=sample-token`);
  });

  it('saves the sender name and address, used as From on the next emails', async () => {
    await admin.caller.admin.settings.emails.saveSender({ mailFromName: 'Acme Developer Desk', mailFromAddress: 'desk@acme.test' });
    try {
      expect((await admin.caller.admin.settings.emails.get()).sender).toMatchObject({
        mailFromName: 'Acme Developer Desk',
        mailFromAddress: 'desk@acme.test',
        effectiveFrom: '"Acme Developer Desk" <desk@acme.test>',
      });
      const to = uniqueEmail('from');
      await app.services.em().transactional((tx) => queueEmail(tx, 'welcome', to, { firstName: 'F', loginUrl: `${app.services.publicUrl()}/login` }));
      const m = await smtp.waitForMessageTo(to);
      expect(m.parsed.from?.value[0]).toEqual({ name: 'Acme Developer Desk', address: 'desk@acme.test' });

      const bad = await admin.caller.admin.settings.emails
        .saveSender({ mailFromName: 'Eve\r\nBcc: x@evil.test', mailFromAddress: 'not an address' })
        .catch((x) => x);
      expect(bad.code).toBe('BAD_REQUEST');
    } finally {
      await admin.caller.admin.settings.emails.saveSender({ mailFromName: '', mailFromAddress: '' });
    }
    // Empty values fall back to MAIL_FROM.
    expect((await admin.caller.admin.settings.emails.get()).sender.effectiveFrom).toBe('"Admit Test" <no-reply@admit.test>');
  });

  it('is for admins only', async () => {
    const dev = await developerSession(app);
    const e = await dev.caller.admin.settings.emails.saveTemplate({ template: 'welcome', subject: 'x', mainText: 'y' }).catch((x) => x);
    expect(e.code).toBe('FORBIDDEN');
    expect(
      (
        await app
          .caller()
          .admin.settings.emails.get()
          .catch((x) => x)
      ).code,
    ).toBe('FORBIDDEN');
  });
});
