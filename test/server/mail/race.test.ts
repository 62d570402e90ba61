import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { startSmtpPeer, type SmtpPeer } from '../../support/smtp.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { createMailWorker } from '../../../server/mail/worker.js';
import { createSmtpTransport } from '../../../server/mail/transports.js';

describe('two workers racing over one outbox', () => {
  let a: TestApp;
  let b: TestApp;
  let smtp: SmtpPeer;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
    // Two servers on one database, like two processes: each has its own pool and its own worker.
    a = await startTestApp({ env: { MAIL_WORKER: 'false', SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@admit.test' } });
    b = await startTestApp({ db: a.db, env: { MAIL_WORKER: 'false', SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@admit.test' } });
  });
  afterAll(async () => {
    await (b as TestApp | undefined)?.stop();
    await (a as TestApp | undefined)?.stop();
    await smtp.close();
  });

  it('sends each of 200 rows exactly once', async () => {
    const ids = await a.services.em().transactional(async (tx) => {
      const out: number[] = [];
      for (let i = 0; i < 200; i++) out.push(await queueEmail(tx, 'registration-received', `race.${i}@example.test`, { firstName: `R${i}` }));
      return out;
    });
    const w1 = createMailWorker(a.services, { databaseUrl: a.db.url, transport: createSmtpTransport(smtp.url), batchSize: 5, name: 'w1' });
    const w2 = createMailWorker(b.services, { databaseUrl: b.db.url, transport: createSmtpTransport(smtp.url), batchSize: 5, name: 'w2' });
    try {
      await Promise.all([w1.start(), w2.start()]);
      await smtp.waitForMessages(200, { timeoutMs: 30_000, match: (m) => m.envelopeTo[0]!.startsWith('race.') });
      await Promise.all([w1.drain(), w2.drain()]);
    } finally {
      await Promise.all([w1.stop(), w2.stop()]);
    }

    const race = smtp.messages.filter((m) => m.envelopeTo[0]!.startsWith('race.'));
    expect(race).toHaveLength(200);
    const outboxIds = race.map((m) => Number(m.parsed.headers.get('x-admit-outbox-id')));
    expect(new Set(outboxIds).size).toBe(200);
    expect(new Set(outboxIds)).toEqual(new Set(ids));
    expect(new Set(race.map((m) => m.envelopeTo[0])).size).toBe(200);

    // Both really took part, and their counts add up to the 200.
    expect(w1.stats.sent).toBeGreaterThan(0);
    expect(w2.stats.sent).toBeGreaterThan(0);
    expect(w1.stats.sent + w2.stats.sent).toBe(200);

    expect(await sqlCount(a, `select count(*) from email_outbox where status = 'sent' and id = any(?::bigint[])`, [`{${ids.join(',')}}`])).toBe(200);
    expect(await sqlCount(a, `select count(*) from email_outbox where attempts <> 1 and id = any(?::bigint[])`, [`{${ids.join(',')}}`])).toBe(0);
    const events = await sql(a, `select (data->>'outboxId')::bigint as id from domain_event where type = 'email.sent'`);
    expect(events.filter((e) => ids.includes(Number(e.id)))).toHaveLength(200);
  });
});
