import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';
import { hashPassword } from '../../server/security/password.js';
import { sessionIdFrom } from './app.js';
import type { UserRole, UserStatus } from '../../shared/constants.js';

let counter = 0;
/** A unique email for this test run. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${Date.now().toString(36)}.${++counter}@example.test`;
}

const hashCache = new Map<string, string>();

/** Inserts a user directly (fixtures only; flows under test go through procedures). */
export async function insertUser(
  app: TestApp,
  u: {
    email?: string;
    password?: string | null;
    role?: UserRole;
    status?: UserStatus;
    firstName?: string;
    lastName?: string;
    mustChangePassword?: boolean;
  } = {},
): Promise<{ id: string; email: string; password: string | null }> {
  const id = randomUUID();
  const email = u.email ?? uniqueEmail(u.role ?? 'dev');
  const password = u.password === undefined ? 'correct horse battery' : u.password;
  let hash: string | null = null;
  if (password !== null) {
    hash = hashCache.get(password) ?? (await hashPassword(password));
    hashCache.set(password, hash);
  }
  await app.services.em().execute(
    `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
     values (?, ?, ?, ?, (select id from organisation where is_default), ?, ?, ?, ?, now(), now(), 1)`,
    [id, email, u.firstName ?? 'Test', u.lastName ?? 'User', u.role ?? 'developer', u.status ?? 'active', hash, u.mustChangePassword ?? false],
  );
  return { id, email, password };
}

/** Logs in through the real procedure and returns the session id. */
export async function loginAs(app: TestApp, email: string, password: string): Promise<string> {
  const caller = app.caller();
  await caller.auth.login({ email, password });
  const id = sessionIdFrom(caller.cookies);
  if (!id) throw new Error('login set no session cookie');
  return id;
}

/** An active admin and a logged-in caller for it. */
export async function adminSession(app: TestApp) {
  const admin = await insertUser(app, { role: 'admin' });
  const sessionId = await loginAs(app, admin.email, admin.password!);
  return { ...admin, sessionId, caller: app.caller({ sessionId }) };
}

export async function developerSession(app: TestApp) {
  const dev = await insertUser(app, { role: 'developer' });
  const sessionId = await loginAs(app, dev.email, dev.password!);
  return { ...dev, sessionId, caller: app.caller({ sessionId }) };
}
