import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';

describe('admin.mail.retryAllFailed', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => (app as TestApp | undefined)?.stop());

  it('puts every failed email back in the queue except those that carried a one-time link, and they are delivered', async () => {
    const insert = async (template: string, to: string, status: string) =>
      (
        await sql(
          app,
          `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, last_error, created_at, updated_at)
           values (?, ?, ?::jsonb, ?, 31, 31, now(), 'boom', now(), now()) returning id`,
          [template, to, JSON.stringify({ firstName: 'Ada' }), status],
        )
      )[0].id as string;
    const plain = await insert('registration-received', 'plain@x.test', 'failed');
    const secret = await insert('password-reset', 'secret@x.test', 'failed');
    const sent = await insert('registration-received', 'sent@x.test', 'sent');
    const { sessionId } = await adminSession(app);

    expect(await app.caller({ sessionId }).admin.mail.retryAllFailed()).toEqual({ retried: 1, skipped: 1 });
    await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [plain]))[0].status, { timeout: 10_000 }).toBe('sent');
    const rows = await sql(app, `select id, status, attempts, last_error from email_outbox where id = any(?::bigint[]) order by id`, [
      `{${plain},${secret},${sent}}`,
    ]);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'failed', 'sent']);
    expect(rows[0].attempts).toBe(1);
    expect(rows[0].last_error).toBeNull();
    // Nothing left to retry but the one that cannot be.
    expect(await app.caller({ sessionId }).admin.mail.retryAllFailed()).toEqual({ retried: 0, skipped: 1 });
  });
});
