import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { DEFAULT_MAX_ATTEMPTS, retryDelayMs } from '../../../server/mail/retry-schedule.js';

/** The attempt count once the attempt is over (the claim counts it before the send ends). */
const settledAttempts = async (app: TestApp, id: number) => {
  const r = await row(app, id);
  return r.locked_until === null ? r.attempts : -1;
};

const row = async (app: TestApp, id: number) =>
  (await sql(app, `select status, attempts, last_error, next_attempt_at, locked_until, variables::text as vars from email_outbox where id = ?`, [id]))[0];

describe('retries when the SMTP server is down', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    // Retry after 15–30 s of (test) clock time, so nothing retries unless the test moves the clock.
    ({ app, smtp, stop } = await startTestAppWithSmtp({ env: { MAIL_RETRY_BASE_MS: '30000' } }));
  });
  afterAll(() => stop());

  it('keeps the row while SMTP is down and delivers it exactly once when SMTP is back', async () => {
    await smtp.stop();
    const to = uniqueEmail('down');
    const id = await app.services.em().transactional((tx) => queueEmail(tx, 'welcome', to, { firstName: 'Ed', loginUrl: `${app.services.publicUrl()}/login` }));

    await expect.poll(() => settledAttempts(app, id), { timeout: 10_000 }).toBe(1);
    const waiting = await row(app, id);
    expect(waiting.status).toBe('pending');
    expect(waiting.last_error).toMatch(/ECONNREFUSED|connect/i);
    const delay = new Date(waiting.next_attempt_at).getTime() - app.clock.now().getTime();
    expect(delay).toBeGreaterThan(10_000);
    expect(delay).toBeLessThanOrEqual(33_000);

    // Several polls go by: the row is not due yet, so nobody touches it.
    await new Promise((r) => setTimeout(r, 500));
    expect((await row(app, id)).attempts).toBe(1);

    await smtp.start();
    app.clock.advance(31_000);
    await smtp.waitForMessageTo(to);
    await expect.poll(async () => (await row(app, id)).status).toBe('sent');

    // More polls, and a clock far ahead: still one message.
    app.clock.advance(3_600_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messagesTo(to)).toHaveLength(1);
    const sent = await row(app, id);
    expect(sent.attempts).toBe(2);
    expect(sent.last_error).toBeNull();
  });

  it('after the last try marks the row failed with the error, records email.failed and drops secrets', async () => {
    await smtp.stop();
    try {
      const to = uniqueEmail('dead');
      const token = 'neverDeliveredToken123456789';
      const id = await app.services.em().transactional(async (tx) => {
        const id = await queueEmail(tx, 'password-reset', to, {
          firstName: 'Flo',
          resetUrl: `${app.services.publicUrl()}/reset-password?token=${token}`,
          expiresInMinutes: 60,
        });
        await tx.execute(`update email_outbox set max_attempts = 3 where id = ?`, [id]);
        return id;
      });
      for (const n of [1, 2]) {
        await expect.poll(() => settledAttempts(app, id), { timeout: 10_000 }).toBe(n);
        expect((await row(app, id)).status).toBe('pending');
        app.clock.advance(2 * 3_600_000);
      }
      await expect.poll(async () => (await row(app, id)).status, { timeout: 10_000 }).toBe('failed');
      const failed = await row(app, id);
      expect(failed.attempts).toBe(3);
      expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
      expect(failed.vars).not.toContain(token);

      const events = await sql(app, `select data from domain_event where type = 'email.failed' and (data->>'outboxId')::bigint = ?`, [id]);
      expect(events).toHaveLength(1);
      expect(events[0].data).toMatchObject({ outboxId: id, template: 'password-reset', to });
      expect(events[0].data.error).toMatch(/ECONNREFUSED|connect/i);

      // A failed row stays failed: SMTP back, clock far ahead, nothing is sent.
      await smtp.start();
      app.clock.advance(24 * 3_600_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.messagesTo(to)).toHaveLength(0);
    } finally {
      if (!smtp.running) await smtp.start();
    }
  });

  it('fails at once when the server refuses for good (5xx), without retrying', async () => {
    smtp.failWith({ code: 550, message: 'Sender rejected' });
    try {
      const to = uniqueEmail('refused');
      const id = await app.services.em().transactional((tx) => queueEmail(tx, 'registration-received', to, { firstName: 'Gus' }));
      await expect.poll(async () => (await row(app, id)).status, { timeout: 10_000 }).toBe('failed');
      const r = await row(app, id);
      expect(r.attempts).toBe(1);
      expect(r.last_error).toContain('550');
    } finally {
      smtp.failWith(null);
    }
  });

  it('retries a temporary refusal (4xx) and then delivers', async () => {
    smtp.failWith({ code: 451, message: 'Try again later' });
    const to = uniqueEmail('greylisted');
    const id = await app.services.em().transactional((tx) => queueEmail(tx, 'registration-received', to, { firstName: 'Hal' }));
    await expect.poll(() => settledAttempts(app, id), { timeout: 10_000 }).toBe(1);
    expect((await row(app, id)).last_error).toContain('451');
    smtp.failWith(null);
    app.clock.advance(60_000);
    await smtp.waitForMessageTo(to);
    await expect.poll(async () => (await row(app, id)).status).toBe('sent');
  });
});

describe('retry schedule', () => {
  it('is 30 s, 1 m, 2 m, 5 m, 10 m, 30 m, 1 h, then hourly, spanning at least 24 h, with 0–10 % added', () => {
    const base = 30_000;
    const nominal = Array.from({ length: DEFAULT_MAX_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1, base, () => 0));
    expect(nominal.slice(0, 8)).toEqual([30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 3_600_000]);
    const span = nominal.reduce((a, b) => a + b, 0);
    expect(span).toBeGreaterThanOrEqual(24 * 3_600_000);
    // One fewer try would not span the day.
    expect(span - nominal[nominal.length - 1]!).toBeLessThan(24 * 3_600_000);
    expect(DEFAULT_MAX_ATTEMPTS).toBe(31);
    expect(retryDelayMs(3, base, () => 1)).toBe(132_000);
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs(4, base)));
    expect(seen.size).toBeGreaterThan(10);
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(300_000);
      expect(d).toBeLessThanOrEqual(330_000);
    }
    // MAIL_RETRY_BASE_MS scales the whole schedule.
    expect(retryDelayMs(7, 10, () => 0)).toBe(1_200);
  });
});
