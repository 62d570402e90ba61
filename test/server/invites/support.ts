import { sql, type TestApp } from '../../support/app.js';

/** The raw token in the newest queued invite email to this user (the worker is off in these tests, so the link is still there). */
export async function latestInviteToken(app: TestApp, userId: string): Promise<string> {
  const [row] = await sql(app, `select variables from email_outbox where template = 'invite' and user_id = ? order by id desc limit 1`, [userId]);
  if (!row) throw new Error('no invite email queued');
  const url = new URL(row.variables.acceptUrl);
  return new URLSearchParams(url.hash.slice(1)).get('token')!;
}
