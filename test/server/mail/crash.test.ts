import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { startSmtpPeer, startTestAppWithSmtp, TEST_MAIL_FROM, type SmtpPeer } from '../../support/smtp.js';
import { uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { createMailWorker, DEFAULT_LEASE_MS, UNMARKED_PER_LANE } from '../../../server/mail/worker.js';
import { createSmtpTransport } from '../../../server/mail/transports.js';

const BATCH = 25;
const LANES = 4;
// What a kill can leave accepted but not recorded: per lane, the email in flight and the accepted
// ones whose mark had not committed yet.
const WINDOW = LANES * (1 + UNMARKED_PER_LANE);

async function queueMany(app: TestApp, n: number, prefix: string): Promise<number[]> {
  return app.services.em().transactional(async (tx) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await queueEmail(tx, 'registration-received', uniqueEmail(`${prefix}${i}`), { firstName: 'Ada' }));
    return ids;
  });
}

/** Message-ID → how many times the SMTP peer received it. */
function countsByMessageId(smtp: SmtpPeer): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of smtp.messages) {
    const id = m.parsed.messageId ?? '';
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

describe('a worker process killed mid-batch (SIGKILL)', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
    // This process only queues and inspects; the worker runs in a child process first.
    app = await startTestApp({ env: { MAIL_WORKER: 'false', SMTP_URL: smtp.url, MAIL_FROM: TEST_MAIL_FROM } });
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
    await (smtp as SmtpPeer | undefined)?.close();
  });

  it(
    're-sends at most the messages in flight and those accepted but not yet recorded (same Message-ID), and its claims are taken over once the lease runs out, not before',
    { timeout: 120_000 },
    async () => {
      const total = 200;
      const ids = await queueMany(app, total, 'crash');
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/start.ts'], {
        env: {
          ...process.env,
          DATABASE_URL: app.db.url,
          SMTP_URL: smtp.url,
          MAIL_FROM: TEST_MAIL_FROM,
          MAIL_WORKER: 'true',
          MAIL_POLL_MS: '100',
          PORT: '0',
          LOG_LEVEL: 'warn',
          PUBLIC_URL: '',
        },
        stdio: 'ignore',
      });
      const exited = new Promise((res) => child.once('exit', res));
      try {
        await smtp.waitForMessages(30, { timeoutMs: 60_000 });
        child.kill('SIGKILL');
        await exited;
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 300));
      const received = smtp.messages.length;
      expect(received).toBeLessThan(total);
      const sentRows = await sqlCount(app, `select count(*) from email_outbox where status = 'sent'`);
      // Acceptances are recorded as they happen, in group commits: at most the window is accepted but unrecorded.
      expect(received - sentRows).toBeGreaterThanOrEqual(0);
      expect(received - sentRows).toBeLessThanOrEqual(WINDOW);
      const claimedByDead = await sql<{ id: string }>(app, `select id from email_outbox where status = 'pending' and locked_until > now()`);
      expect(claimedByDead.length).toBeGreaterThan(0);
      // The batch in hand and at most one claimed ahead of it (pipelined claims).
      expect(claimedByDead.length).toBeLessThanOrEqual(2 * BATCH);

      // A second worker (this process, on the test clock): the dead worker's claims wait out their lease...
      const worker = createMailWorker(app.services, {
        databaseUrl: app.db.url,
        transport: createSmtpTransport(smtp.url),
        listen: false,
        batchSize: BATCH,
        concurrency: LANES,
        name: 'second',
      });
      try {
        await worker.drain();
        const stillClaimed = await sqlCount(app, `select count(*) from email_outbox where status = 'pending' and id = any(?::bigint[])`, [
          `{${claimedByDead.map((r) => r.id).join(',')}}`,
        ]);
        expect(stillClaimed).toBe(claimedByDead.length);
        // ...and are taken over as soon as it has run out (30 s, not a fixed 5 minutes).
        expect(DEFAULT_LEASE_MS).toBe(30_000);
        app.clock.advance(DEFAULT_LEASE_MS + 1_000);
        await worker.drain();
      } finally {
        await worker.stop();
      }
      expect(await sqlCount(app, `select count(*) from email_outbox where status = 'sent' and id = any(?::bigint[])`, [`{${ids.join(',')}}`])).toBe(total);
      await expect.poll(() => countsByMessageId(smtp).size, { timeout: 10_000 }).toBe(total);

      // Every row's Message-ID is stable (row id at the sender's domain); duplicates are only the ones accepted but unrecorded at the kill.
      const counts = countsByMessageId(smtp);
      for (const id of ids) expect(counts.has(`<admit-outbox-${id}@${TEST_MAIL_FROM.replace(/^.*@/, '').replace(/>$/, '')}>`)).toBe(true);
      const duplicates = [...counts.values()].reduce((a, n) => a + (n - 1), 0);
      expect(duplicates).toBeLessThanOrEqual(WINDOW);
      expect(duplicates).toBeLessThan(BATCH);
      expect(smtp.messages.length).toBe(total + duplicates);
    },
  );
});

describe('an SMTP outage longer than 64 × MAIL_RETRY_BASE_MS', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp({ env: { MAIL_RETRY_BASE_MS: '20' } }));
  });
  afterAll(() => stop());

  it('keeps retrying (the tries span 24 h × base/30 s) and delivers when SMTP is back', async () => {
    await smtp.stop();
    const [id] = await queueMany(app, 1, 'outage');
    // 64 × 20 ms = 1.28 s; wait well past it (the old schedule had failed the email for good by then).
    await new Promise((r) => setTimeout(r, 4_000));
    const [row] = await sql(app, `select status, attempts, max_attempts from email_outbox where id = ?`, [id]);
    expect(row.status).toBe('pending');
    expect(row.attempts).toBeGreaterThan(3);
    expect(row.max_attempts).toBe(31);
    await smtp.start();
    await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [id]))[0].status, { timeout: 20_000 }).toBe('sent');
    // The test SMTP server accepts before it parses: the row can be 'sent' a moment before the message is listed.
    await expect.poll(() => smtp.messages.length).toBe(1);
  });
});
