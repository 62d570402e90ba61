import { randomUUID } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import type { LoginInput, SetupInput } from '../../shared/schemas/auth.js';
import { AppError } from '../errors.js';
import { hashPassword, verifyPassword } from './password.js';
import { appendEvent } from '../events/append.js';
import { defaultOrganisationId, isEmailTaken, loadUserSnapshot } from '../users/users.snapshot.js';

// Serialises concurrent first-admin setups: only one can see "no admin yet" and create one.
const SETUP_LOCK = 0x5345_5455; // "SETU"

export async function adminExists(app: AppServices): Promise<boolean> {
  const rows = await app.em().execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'admin' and status = 'active'`);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Creates the first admin; refuses once any admin exists. Returns the new user's id. */
export async function createFirstAdmin(app: AppServices, input: Omit<SetupInput, 'confirmPassword'>): Promise<string> {
  const passwordHash = await hashPassword(input.password);
  const em = app.em();
  try {
    return await em.transactional(async (tx) => {
      await tx.execute('select pg_advisory_xact_lock(?)', [SETUP_LOCK]);
      const existing = await tx.execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'admin'`);
      if (Number(existing[0]?.n ?? 0) > 0) {
        throw new AppError('FORBIDDEN', 'SETUP_DONE', 'Setup is already complete: an administrator exists. Please log in.');
      }
      const id = randomUUID();
      const orgId = await defaultOrganisationId(tx);
      await tx.execute(
        `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
         values (?, ?, ?, ?, ?, 'admin', 'active', ?, false, now(), now(), 1)`,
        [id, input.email, input.firstName, input.lastName, orgId, passwordHash],
      );
      const user = (await loadUserSnapshot(tx, id))!;
      await appendEvent(tx, 'user.created', { user, mustChangePassword: false }, { actorId: id, userId: id });
      return id;
    });
  } catch (e) {
    if (isEmailTaken(e)) {
      throw new AppError('CONFLICT', 'EMAIL_TAKEN', 'An account with this email already exists', {
        fieldErrors: { email: 'An account with this email already exists' },
      });
    }
    throw e;
  }
}

const STATUS_REFUSALS = {
  pending: ['ACCOUNT_PENDING', 'Your registration is awaiting approval by an administrator. You will receive an email once it is reviewed.'],
  inactive: ['ACCOUNT_INACTIVE', 'This account has been deactivated. Please contact the portal administrator.'],
  invited: ['ACCOUNT_INVITED', 'This account has not been set up yet. Please use the link in your invitation email.'],
} as const;

/** Checks credentials and account status; creates a brand-new session. */
export async function login(app: AppServices, input: LoginInput): Promise<{ sessionId: string; cookie: string }> {
  const rows = await app
    .em()
    .execute<{ id: string; password_hash: string | null; status: string; rejection_reason: string | null }[]>(
      `select id, password_hash, status, rejection_reason from app_user where lower(email) = lower(?)`,
      [input.email],
    );
  const row = rows[0];
  const ok = await verifyPassword(row?.password_hash, input.password);
  if (!row || !ok) throw new AppError('UNAUTHORIZED', 'INVALID_CREDENTIALS', 'Incorrect email or password');
  // Status is told only to someone who proved they know the password.
  if (row.status === 'rejected') {
    const reason = row.rejection_reason ? ` Reason: ${row.rejection_reason}` : '';
    throw new AppError('FORBIDDEN', 'ACCOUNT_REJECTED', `Your registration was declined.${reason}`, {
      details: { rejectionReason: row.rejection_reason },
    });
  }
  if (row.status !== 'active') {
    const [reason, message] = STATUS_REFUSALS[row.status as keyof typeof STATUS_REFUSALS] ?? ['ACCOUNT_INACTIVE', 'This account cannot log in.'];
    throw new AppError('FORBIDDEN', reason, message);
  }
  const session = await app.lucia.createSession(row.id, {});
  return { sessionId: session.id, cookie: app.lucia.createSessionCookie(session.id).serialize() };
}

export async function logout(app: AppServices, sessionId: string): Promise<string> {
  await app.lucia.invalidateSession(sessionId);
  return app.lucia.createBlankSessionCookie().serialize();
}

/** Headless installs: ADMIN_EMAIL + ADMIN_PASSWORD create the first admin at start, once. */
export async function ensureAdminFromConfig(app: AppServices): Promise<void> {
  const admin = app.config.admin;
  if (!admin) return;
  if (await adminExists(app)) return;
  try {
    await createFirstAdmin(app, { email: admin.email, password: admin.password, firstName: 'Portal', lastName: 'Admin' });
    app.log.info('created the first admin from ADMIN_EMAIL', { email: admin.email });
  } catch (e) {
    if (e instanceof AppError && e.reason === 'SETUP_DONE') return;
    throw e;
  }
}
