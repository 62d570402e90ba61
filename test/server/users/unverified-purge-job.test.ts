import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { insertUser } from '../../support/users.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';

// The expired-unverified purge runs as a scheduled job of the app (one mechanism with retention).
describe('scheduled purge of unverified registrations', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await writeSetting(app.services.em(), 'unverifiedLifetimeDays', 7);
  });
  afterAll(() => app.stop());

  const statusOf = async (id: string) => (await app.services.em().execute<{ status: string }[]>(`select status from app_user where id = ?`, [id]))[0]?.status;

  it('the app schedules it, and a run deletes unverified registrations older than the setting only', async () => {
    expect(app.scheduler.jobs.map((j) => j.name)).toContain('purge-unverified');
    const old = await insertUser(app, { status: 'unverified' });
    const recent = await insertUser(app, { status: 'unverified' });
    const pending = await insertUser(app, { status: 'pending' });
    await app.services
      .em()
      .execute(`update app_user set created_at = ? where id in (?, ?)`, [new Date(app.clock.now().getTime() - 8 * 86_400_000), old.id, pending.id]);

    const outcome = await app.scheduler.runNow('purge-unverified');
    expect(outcome.status).toBe('ran');
    expect(outcome.result?.unverifiedDeleted).toBe(1);
    expect(await statusOf(old.id)).toBeUndefined();
    expect(await statusOf(recent.id)).toBe('unverified');
    expect(await statusOf(pending.id)).toBe('pending');
  });
});
