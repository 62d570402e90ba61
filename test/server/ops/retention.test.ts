import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { userCountsReconcileJob } from '../../../server/jobs/user-counts.js';
import { createScheduler, type Job } from '../../../server/jobs/scheduler.js';
import { retentionJob } from '../../../server/jobs/retention.js';

const DAY = 24 * 3_600_000;

describe('data retention (one scheduled-jobs mechanism, test clock)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
  });
  afterAll(() => (app as TestApp | undefined)?.stop());

  /** Rows aged by the test clock: created `ageDays` before the app's now. */
  async function seed(tag: string, ageDays: number) {
    const at = new Date(app.clock.now().getTime() - ageDays * DAY);
    await sql(
      app,
      `insert into mailbox_message (outbox_id, template, from_address, to_address, subject, html, text, created_at) values (null, 'welcome', 'a@x.test', ?, 's', 'h', 't', ?)`,
      [`${tag}@x.test`, at],
    );
    for (const status of ['sent', 'failed', 'pending'])
      await sql(
        app,
        `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, sent_at, created_at, updated_at)
         values ('welcome', ?, '{}'::jsonb, ?, 1, 31, ?, ?, ?, ?)`,
        [`${tag}-${status}@x.test`, status, status === 'pending' ? new Date(app.clock.now().getTime() + 365 * DAY) : at, status === 'sent' ? at : null, at, at],
      );
    await sql(app, `insert into domain_event (type, actor_id, user_id, data, created_at) values ('settings.changed', null, null, ?::jsonb, ?)`, [
      JSON.stringify({ changes: { tag } }),
      at,
    ]);
  }
  const left = async (tag: string) => ({
    mailbox: await sqlCount(app, `select count(*) from mailbox_message where to_address = ?`, [`${tag}@x.test`]),
    sent: await sqlCount(app, `select count(*) from email_outbox where to_address = ?`, [`${tag}-sent@x.test`]),
    failed: await sqlCount(app, `select count(*) from email_outbox where to_address = ?`, [`${tag}-failed@x.test`]),
    pending: await sqlCount(app, `select count(*) from email_outbox where to_address = ?`, [`${tag}-pending@x.test`]),
    events: await sqlCount(app, `select count(*) from domain_event where data->'changes'->>'tag' = ?`, [tag]),
  });

  it('a job with firstRunAfterMs is not due at the first tick, only that long after the scheduler started (the user-count reconcile: 10 minutes)', async () => {
    const job = userCountsReconcileJob();
    expect(job.firstRunAfterMs).toBe(10 * 60_000);
    const scheduler = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [job] });
    expect(await scheduler.runDue()).toEqual([]);
    app.clock.advance(9 * 60_000);
    expect(await scheduler.runDue()).toEqual([]);
    app.clock.advance(60_000);
    expect(await scheduler.runDue()).toMatchObject([{ job: 'reconcile-user-counts', status: 'ran' }]);
    // Then every interval, as any job.
    expect(await scheduler.runDue()).toEqual([]);
  });

  it('purges delivered mailbox messages and sent outbox rows older than their setting, in batches; keeps newer rows, pending/failed rows and (by default) every event', async () => {
    await seed('old', 31);
    await seed('new', 29);
    // Batches of 1 row: the loop must go on until nothing is left.
    const scheduler = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [retentionJob({ batch: 1 })] });
    const [outcome] = await scheduler.runDue();
    expect(outcome).toMatchObject({ job: 'retention', status: 'ran' });
    expect(outcome!.result!.mailboxMessages).toBeGreaterThanOrEqual(1);
    expect(await left('old')).toEqual({ mailbox: 0, sent: 0, failed: 1, pending: 1, events: 1 });
    expect(await left('new')).toEqual({ mailbox: 1, sent: 1, failed: 1, pending: 1, events: 1 });

    // Not due again until its interval has passed on the app's clock.
    expect(await scheduler.runDue()).toEqual([]);
    app.clock.advance(2 * DAY);
    const [again] = await scheduler.runDue();
    expect(again).toMatchObject({ status: 'ran' });
    // The "new" rows are now 31 days old.
    expect(await left('new')).toEqual({ mailbox: 0, sent: 0, failed: 1, pending: 1, events: 1 });
  });

  it('follows the settings (admin.settings.retention), events included once a period is set', async () => {
    const { sessionId } = await adminSession(app);
    const caller = app.caller({ sessionId });
    expect(await caller.admin.settings.retention.get()).toEqual({
      mailboxRetentionDays: 30,
      sentOutboxRetentionDays: 30,
      eventRetentionDays: null,
      version: 1,
    });
    await caller.admin.settings.retention.update({ mailboxRetentionDays: 90, sentOutboxRetentionDays: 7, eventRetentionDays: 365 });
    await seed('mid', 60);
    await seed('ancient', 400);
    const scheduler = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [retentionJob()] });
    await scheduler.runNow('retention');
    expect(await left('mid')).toEqual({ mailbox: 1, sent: 0, failed: 1, pending: 1, events: 1 });
    expect(await left('ancient')).toEqual({ mailbox: 0, sent: 0, failed: 1, pending: 1, events: 0 });
    await expect(
      caller.admin.settings.retention.update({ mailboxRetentionDays: 0, sentOutboxRetentionDays: 7, eventRetentionDays: null }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('two processes never run a job at once: the other one skips its turn while the lock is held', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const slow: Job = {
      name: 'slow-test-job',
      intervalMs: 1,
      async run() {
        active++;
        runs++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 400));
        active--;
      },
    };
    // Two schedulers, each with its own connections (as two processes would have).
    const a = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [slow] });
    const b = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [slow] });
    const [ra, rb] = await Promise.all([a.runNow('slow-test-job'), new Promise((r) => setTimeout(r, 100)).then(() => b.runNow('slow-test-job'))]);
    expect([ra.status, rb.status].sort()).toEqual(['locked', 'ran']);
    expect(maxActive).toBe(1);
    expect(runs).toBe(1);
    // Once released, the other can run it.
    expect((await b.runNow('slow-test-job')).status).toBe('ran');
  });

  it('stopping the scheduler (shutdown) ends a long purge after the batch in hand instead of waiting for all of it', async () => {
    const rows = 12;
    for (let i = 0; i < rows; i++)
      await sql(
        app,
        `insert into mailbox_message (outbox_id, template, from_address, to_address, subject, html, text, created_at) values (null, 'welcome', 'a@x.test', 'stop@x.test', 's', 'h', 't', ?)`,
        [new Date(app.clock.now().getTime() - 400 * DAY)],
      );
    // The job takes a fresh EntityManager per batch: the shutdown comes while the second batch is in hand.
    let calls = 0;
    let stopped: Promise<void> | undefined;
    const scheduler = createScheduler({
      em: () => {
        // 1: the job's lock, 2: the settings, 3: first batch, 4: second batch.
        if (++calls === 4) stopped = scheduler.stop();
        return app.services.em();
      },
      clock: app.clock,
      log: app.services.log,
      jobs: [retentionJob({ batch: 1 })],
    });
    const outcome = await scheduler.runNow('retention');
    expect(stopped).toBeDefined();
    await stopped;
    expect(outcome.status).toBe('ran');
    const left = await sqlCount(app, `select count(*) from mailbox_message where to_address = 'stop@x.test'`);
    // The batch in hand finished; the rest is left for the next turn.
    expect(outcome.result!.mailboxMessages).toBe(2);
    expect(left).toBe(rows - 2);
    // A stopped scheduler starts nothing more.
    expect(await scheduler.runDue()).toEqual([]);
  });

  it('the app runs the retention job with its scheduler', () => {
    expect(app.scheduler.jobs.map((j) => j.name)).toContain('retention');
  });
});
