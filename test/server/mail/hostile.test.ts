import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';

const HOSTILE = ['<script>x</script>', 'Ann\r\nBcc: x@evil.test', '<mj-include path="/etc/passwd"/>'];

describe('hostile names in emails sent over SMTP', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
  });
  afterAll(() => stop());

  it.each(HOSTILE)('delivers %j as text only: one recipient, no extra header, no tag, no file', async (name) => {
    const to = uniqueEmail('hostile');
    // In the body (firstName) and in the subject (inviterName) of the same email.
    await app.services.em().transactional((tx) =>
      queueEmail(tx, 'invite', to, {
        firstName: name,
        inviterName: name,
        acceptUrl: `${app.services.publicUrl()}/invite?token=abcdefghijklmnop`,
        expiresAt: '2030-01-01T00:00:00.000Z',
      }),
    );
    const m = await smtp.waitForMessageTo(to);

    expect(m.envelopeTo).toEqual([to]);
    expect(m.parsed.headers.has('bcc')).toBe(false);
    expect(m.raw).not.toMatch(/^Bcc:/im);
    expect(smtp.messagesTo('x@evil.test')).toHaveLength(0);
    const oneLine = name.replace(/[\r\n]+/g, ' ');
    expect(m.subject).toBe(`${oneLine} invited you to Admit Developer Portal`);

    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('<mj-include');
    expect(m.html).toContain(`Hi ${oneLine.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')},`);
    expect(m.text).toContain(`Hi ${oneLine},`);
    for (const part of [m.html, m.text, m.raw]) expect(part).not.toMatch(/root:[^:]*:0:0:/);
  });

  it('refuses a recipient address carrying a header, sending nothing', async () => {
    const id = await app.services
      .em()
      .transactional((tx) => queueEmail(tx, 'registration-received', 'victim@example.test\r\nBcc: x@evil.test', { firstName: 'V' }));
    await expect
      .poll(async () => (await sql(app, `select status, last_error from email_outbox where id = ?`, [id]))[0])
      .toEqual({
        status: 'failed',
        last_error: 'Invalid recipient address',
      });
    expect(smtp.messagesTo('x@evil.test')).toHaveLength(0);
    expect(smtp.messagesTo('victim@example.test')).toHaveLength(0);
  });
});
