import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, TEST_MAIL_FROM, type SmtpPeer } from '../../support/smtp.js';
import { insertUser, uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';

describe('outbox delivery over SMTP', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
  });
  afterAll(() => stop());

  it('delivers a queued email with its subject, an HTML part, a text part and a working link', async () => {
    const to = uniqueEmail('delivery');
    const link = `${app.services.publicUrl()}/reset-password?token=abcDEF123_-abcDEF123`;
    await app.services.em().transactional((tx) => queueEmail(tx, 'password-reset', to, { firstName: 'Ada', resetUrl: link, expiresInMinutes: 60 }));

    const m = await smtp.waitForMessageTo(to);
    expect(m.subject).toBe('Reset your Admit Developer Portal password');
    expect(m.envelopeTo).toEqual([to]);
    expect(m.parsed.from?.value[0]?.address).toBe('no-reply@admit.test');
    // Both parts, each with the greeting and the link.
    expect(m.text).toContain('Hi Ada,');
    expect(m.text).toContain(link);
    expect(m.html).toContain('Hi Ada,');
    expect(m.html).toContain(`href="${link}"`);
    expect(m.html).toContain('Admit Developer Portal');
    expect(m.links).toContain(link);
    // The link leads to the reset page of this very server.
    const res = await fetch(m.links.find((l) => l.includes('/reset-password'))!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('marks the row sent, records email.sent, and keeps no raw token in the database', async () => {
    const to = uniqueEmail('scrub');
    const token = 'SECRETtoken0123456789secret';
    const user = await insertUser(app, { email: to });
    const id = await app.services
      .em()
      .transactional((tx) =>
        queueEmail(
          tx,
          'password-reset',
          to,
          { firstName: 'Bo', resetUrl: `${app.services.publicUrl()}/reset-password?token=${token}`, expiresInMinutes: 60 },
          { userId: user.id },
        ),
      );
    await smtp.waitForMessageTo(to);
    await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [id]))[0]?.status).toBe('sent');

    const [row] = await sql(app, `select status, sent_at, subject, variables::text as vars, message_id, attempts from email_outbox where id = ?`, [id]);
    expect(row.sent_at).not.toBeNull();
    expect(row.subject).toBe('Reset your Admit Developer Portal password');
    expect(row.message_id).toBeTruthy();
    expect(row.attempts).toBe(1);
    expect(row.vars).not.toContain(token);
    expect(JSON.parse(row.vars)).toEqual({ firstName: 'Bo', expiresInMinutes: 60 });

    const events = await sql(app, `select type, user_id, data from domain_event where type = 'email.sent' and (data->>'outboxId')::bigint = ?`, [id]);
    expect(events).toHaveLength(1);
    expect(events[0].user_id).toBe(user.id);
    expect(events[0].data).toEqual({ outboxId: id, template: 'password-reset', to });

    const anywhere = await sql(app, `select count(*)::int as n from email_outbox where variables::text like ?`, [`%${token}%`]);
    expect(anywhere[0].n).toBe(0);
  });

  it('wakes on NOTIFY: an email queued on commit leaves well before the next poll', async () => {
    // Polling every 60 s here, so only the LISTEN wake-up can deliver within the wait below.
    const { app: slow, smtp: peer, stop: stopSlow } = await startTestAppWithSmtp({ env: { MAIL_POLL_MS: '60000' } });
    try {
      const to = uniqueEmail('notify');
      const started = Date.now();
      await slow.services.em().transactional((tx) => queueEmail(tx, 'welcome', to, { firstName: 'Cy', loginUrl: `${slow.services.publicUrl()}/login` }));
      await peer.waitForMessageTo(to, { timeoutMs: 5000 });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await stopSlow();
    }
  });

  it('uses MAIL_FROM as the sender unless Settings > Emails names one', async () => {
    expect(TEST_MAIL_FROM).toContain('no-reply@admit.test');
    const to = uniqueEmail('sender');
    await sql(
      app,
      `insert into setting (key, value, updated_at) values ('mailFromName', '"Portal Team"', now()), ('mailFromAddress', '"team@portal.test"', now())`,
    );
    try {
      await app.services.em().transactional((tx) => queueEmail(tx, 'registration-received', to, { firstName: 'Di' }));
      const m = await smtp.waitForMessageTo(to);
      expect(m.parsed.from?.value[0]).toEqual({ name: 'Portal Team', address: 'team@portal.test' });
      expect(m.envelopeFrom).toBe('team@portal.test');
    } finally {
      await sql(app, `delete from setting where key in ('mailFromName', 'mailFromAddress')`);
    }
  });
});
