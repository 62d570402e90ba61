import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { createScheduler } from '../../../server/jobs/scheduler.js';
import { retentionJob } from '../../../server/jobs/retention.js';

const DAY = 24 * 3_600_000;

describe('webhook deliveries and data retention', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { APP_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_WORKER: 'false' } });
  });
  afterAll(() => (app as TestApp | undefined)?.stop());

  it('purges succeeded deliveries older than the sent-outbox period (30 days); keeps newer ones and every failed or waiting one', async () => {
    const endpoint = randomUUID();
    await sql(
      app,
      `insert into webhook_endpoint (id, url, description, event_types, enabled, secret_enc, version, created_at, updated_at)
       values (?, 'https://example.com/h', '', '["*"]'::jsonb, true, 'v1.x.y.z.w', 1, now(), now())`,
      [endpoint],
    );
    const seed = async (tag: string, status: string, ageDays: number) => {
      const at = new Date(app.clock.now().getTime() - ageDays * DAY);
      await sql(
        app,
        `insert into webhook_delivery (endpoint_id, message_id, event_type, payload, status, attempts, max_attempts, next_attempt_at, last_attempt_at, created_at, updated_at)
         values (?, ?, 'webhook.test', '{}'::jsonb, ?, 1, 10, ?, ?, ?, ?)`,
        [endpoint, tag, status, status === 'pending' ? new Date(app.clock.now().getTime() + DAY) : at, at, at, at],
      );
    };
    for (const status of ['succeeded', 'failed', 'pending']) {
      await seed(`old-${status}`, status, 31);
      await seed(`new-${status}`, status, 29);
    }
    const scheduler = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [retentionJob()] });
    const outcome = await scheduler.runNow('retention');
    expect(outcome.result?.deliveredWebhooks).toBe(1);
    const left = (await sql(app, `select message_id from webhook_delivery order by message_id`)).map((r) => r.message_id);
    expect(left).toEqual(['new-failed', 'new-pending', 'new-succeeded', 'old-failed', 'old-pending']);
    expect(await sqlCount(app, `select count(*) from webhook_delivery where status = 'succeeded'`)).toBe(1);
  });
});
