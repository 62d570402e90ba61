import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { startSmtpPeer, TEST_MAIL_FROM, type SmtpPeer } from '../../support/smtp.js';
import { uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { createMailWorker, UNMARKED_PER_LANE } from '../../../server/mail/worker.js';
import { createSmtpTransport, type MailTransport, type OutgoingEmail } from '../../../server/mail/transports.js';
import { LOCKS } from '../../../server/db/locks.js';

// The outbox's pipeline, observed from outside: what a real SMTP server received, what the
// database holds, and the order of the sends (never a duration).

async function queueMany(app: TestApp, n: number, prefix: string): Promise<number[]> {
  return app.services.em().transactional(async (tx) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await queueEmail(tx, 'registration-received', uniqueEmail(`${prefix}${i}`), { firstName: 'Ada' }));
    return ids;
  });
}

const idList = (ids: number[]) => `{${ids.join(',')}}`;

/** Waits for `check` to hold, up to `timeoutMs`; false if it never did. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The real SMTP transport, with `before` awaited at the start of every send (the email is then in flight). */
function observedSmtp(url: string, before: (msg: OutgoingEmail) => Promise<void>): MailTransport {
  const real = createSmtpTransport(url);
  if (real.kind !== 'smtp') throw new Error('expected an SMTP transport');
  return {
    kind: 'smtp',
    async send(msg) {
      await before(msg);
      return real.send(msg);
    },
    close: () => real.close(),
  };
}

describe('the mail worker pipeline', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
    // No worker of the app's own: each test runs its worker.
    app = await startTestApp({ env: { MAIL_WORKER: 'false', SMTP_URL: smtp.url, MAIL_FROM: TEST_MAIL_FROM } });
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
    await (smtp as SmtpPeer | undefined)?.close();
  });

  it('a lane sends its next email while the previous acceptance is still being recorded, and never runs more than UNMARKED_PER_LANE ahead of its marks', async () => {
    const ids = await queueMany(app, UNMARKED_PER_LANE + 4, 'lane');
    const sentCount = () => sqlCount(app, `select count(*) from email_outbox where status = 'sent' and id = any(?::bigint[])`, [idList(ids)]);
    // At each send's start: which row, and how many of these rows were recorded sent by then.
    const starts: { id: number; sentBefore: number }[] = [];
    // Every "sent" mark appends an email.sent event under the event-append lock: holding it from
    // another connection holds every mark's commit (the SMTP sends are not held).
    const holder = new pg.Client({ connectionString: app.db.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select pg_advisory_xact_lock($1)', [LOCKS.eventAppend]);
    let held = true;
    const worker = createMailWorker(app.services, {
      databaseUrl: app.db.url,
      listen: false,
      concurrency: 1,
      batchSize: 50,
      name: 'one-lane',
      transport: observedSmtp(smtp.url, async (msg) => {
        starts.push({ id: msg.outboxId!, sentBefore: await sentCount() });
      }),
    });
    try {
      const drained = worker.drain();
      // While no mark can commit, the lane still sends: its first email, then UNMARKED_PER_LANE more.
      const wentOn = await eventually(async () => starts.length >= 1 + UNMARKED_PER_LANE);
      expect(wentOn).toBe(true);
      expect(await sentCount()).toBe(0);
      await holder.query('commit');
      held = false;
      await drained;
    } finally {
      if (held) await holder.query('rollback');
      await holder.end();
      await worker.stop();
    }
    expect(starts.map((s) => s.id)).toEqual(ids);
    // The second send began before the first acceptance was recorded (the lane did not wait for it)...
    expect(starts[1]!.sentBefore).toBe(0);
    // ...but no send begins while more than UNMARKED_PER_LANE of the lane's earlier acceptances wait for their mark.
    starts.forEach((s, k) => expect(s.sentBefore).toBeGreaterThanOrEqual(k - UNMARKED_PER_LANE));
    expect(await sentCount()).toBe(ids.length);
    await expect.poll(() => ids.every((id) => smtp.messages.some((m) => m.parsed.headers.get('x-admit-outbox-id') === String(id)))).toBe(true);
    expect(smtp.messages.filter((m) => ids.includes(Number(m.parsed.headers.get('x-admit-outbox-id'))))).toHaveLength(ids.length);
  });

  it('claims the next batch while the current one is still being sent, and only one batch ahead', async () => {
    const ids = await queueMany(app, 6, 'claim');
    const attempts = async () =>
      new Map(
        (await sql<{ id: string; attempts: number }>(app, `select id, attempts from email_outbox where id = any(?::bigint[])`, [idList(ids)])).map((r) => [
          Number(r.id),
          r.attempts,
        ]),
      );
    let seenDuringFirstSend: Map<number, number> | null = null;
    const worker = createMailWorker(app.services, {
      databaseUrl: app.db.url,
      listen: false,
      concurrency: 1,
      batchSize: 2,
      name: 'pipelined',
      transport: observedSmtp(smtp.url, async (msg) => {
        if (msg.outboxId !== ids[0] || seenDuringFirstSend) return;
        // The first email of the first batch is in flight: the second batch gets claimed meanwhile.
        await eventually(async () => (await attempts()).get(ids[2]!) === 1 && (await attempts()).get(ids[3]!) === 1);
        seenDuringFirstSend = await attempts();
      }),
    });
    try {
      await worker.drain();
    } finally {
      await worker.stop();
    }
    const during = seenDuringFirstSend as Map<number, number> | null;
    expect(during).not.toBeNull();
    expect([ids[0], ids[1], ids[2], ids[3]].map((id) => during!.get(id!))).toEqual([1, 1, 1, 1]);
    // The third batch waits until the lanes have taken this one.
    expect([ids[4], ids[5]].map((id) => during!.get(id!))).toEqual([0, 0]);
    // Each row went out once, on its first attempt.
    expect(await sqlCount(app, `select count(*) from email_outbox where status = 'sent' and attempts = 1 and id = any(?::bigint[])`, [idList(ids)])).toBe(6);
    await expect.poll(() => smtp.messages.filter((m) => ids.includes(Number(m.parsed.headers.get('x-admit-outbox-id')))).length).toBe(6);
  });

  it('stop() finishes every claimed email, the one claimed ahead included, and claims no more', async () => {
    const ids = await queueMany(app, 8, 'stop');
    const stopping: { done: Promise<void> | null } = { done: null };
    const worker = createMailWorker(app.services, {
      databaseUrl: app.db.url,
      listen: false,
      concurrency: 1,
      batchSize: 2,
      name: 'stopping',
      transport: observedSmtp(smtp.url, async (msg) => {
        if (msg.outboxId === ids[0]) stopping.done = worker.stop();
      }),
    });
    await worker.start();
    await expect.poll(() => stopping.done !== null).toBe(true);
    await stopping.done;
    const rows = await sql<{ id: string; status: string; attempts: number; locked_until: Date | null }>(
      app,
      `select id, status, attempts, locked_until from email_outbox where id = any(?::bigint[]) order by id`,
      [idList(ids)],
    );
    const claimed = rows.filter((r) => r.attempts > 0);
    // The batch in hand, and the one claimed ahead of it if that claim was under way: all sent.
    expect([2, 4]).toContain(claimed.length);
    expect(claimed.map((r) => Number(r.id))).toEqual(ids.slice(0, claimed.length));
    for (const r of claimed) expect(r).toMatchObject({ status: 'sent', locked_until: null });
    // Nothing else was touched: waiting for the next worker, unclaimed.
    for (const r of rows.filter((r) => r.attempts === 0)) expect(r).toMatchObject({ status: 'pending', locked_until: null });
    await expect.poll(() => smtp.messages.filter((m) => ids.includes(Number(m.parsed.headers.get('x-admit-outbox-id')))).length).toBe(claimed.length);
  });
});
