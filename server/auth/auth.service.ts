import { randomUUID } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import type { LoginInput, SetupInput } from '../../shared/schemas/auth.js';
import { AppError } from '../errors.js';
import { lockForTransaction } from '../db/locks.js';
import { checkPassword, hashPassword } from '../security/password.js';
import { checkNewPassword } from '../settings/session-settings.service.js';
import { appendEvent } from '../events/append.js';
import { defaultOrganisationId } from '../organisations/organisations.repository.js';
import {
  activeAdminExists,
  anyAdminExists,
  credentialsByEmail,
  insertUser,
  isEmailTaken,
  loadUserSnapshot,
  replacePasswordHash,
} from '../users/users.repository.js';
import { guardLogin, type LoginAttempt } from '../security/lockout.js';
import { recordLoginFailure, recordLoginSuccess } from './login-lockout.service.js';
import { remindInvitee } from '../users/invite-waiting.service.js';

export function adminExists(app: AppServices): Promise<boolean> {
  return activeAdminExists(app.em());
}

function setupDone(): AppError {
  return new AppError('FORBIDDEN', 'SETUP_DONE', 'Setup is already complete: an administrator exists. Please log in.');
}

/** Creates the first admin; refuses once any admin exists. Returns the new user's id. */
export async function createFirstAdmin(app: AppServices, input: Omit<SetupInput, 'confirmPassword'>, opts: { checkPolicy?: boolean } = {}): Promise<string> {
  if (await adminExists(app)) throw setupDone();
  if (opts.checkPolicy !== false) await checkNewPassword(app.em(), input.password);
  const passwordHash = await hashPassword(input.password);
  const em = app.em();
  try {
    return await em.transactional(async (tx) => {
      await lockForTransaction(tx, 'setup');
      if (await anyAdminExists(tx)) throw setupDone();
      const id = randomUUID();
      const organisationId = await defaultOrganisationId(tx);
      await insertUser(tx, {
        id,
        email: input.email,
        firstName: input.firstName,
        lastName: input.lastName,
        organisationId,
        role: 'admin',
        status: 'active',
        passwordHash,
        mustChangePassword: false,
      });
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

/** The reminder must never change the login's answer: a failure is logged, not thrown. */
async function remindInviteeQuietly(app: AppServices, userId: string): Promise<void> {
  try {
    await remindInvitee(app, userId);
  } catch (e) {
    app.log.warn('could not send the invitation-waiting email', { userId, error: e instanceof Error ? e.message : String(e) });
  }
}

const STATUS_REFUSALS = {
  pending: ['ACCOUNT_PENDING', 'Your registration is awaiting approval by an administrator. You will receive an email once it is reviewed.'],
  inactive: ['ACCOUNT_INACTIVE', 'This account has been deactivated. Please contact the portal administrator.'],
  unverified: ['ACCOUNT_UNVERIFIED', 'Please verify your email address first: follow the link in the email we sent you. You can ask for a new link below.'],
} as const;

/**
 * Checks credentials and account status; returns the user to start a session for. With `attempt`
 * (the login procedure), failed logins are counted and lockouts applied (security/lockout.ts).
 */
export async function checkCredentials(app: AppServices, input: LoginInput, attempt?: LoginAttempt): Promise<{ userId: string }> {
  const row = await credentialsByEmail(app.em(), input.email);
  const guard = row && attempt ? await guardLogin(app, attempt, row.id, input.altcha) : null;
  const { ok, rehash } = await checkPassword(row?.passwordHash, input.password);
  // An invited user (no password, or one set some other way) gets the wrong-password answer (no
  // enumeration); the invited address alone is told its invitation is waiting (rate-limited).
  const invited = row?.status === 'invited';
  if (guard && (!ok || invited)) await recordLoginFailure(app, guard);
  if (invited) await remindInviteeQuietly(app, row.id);
  if (!row || !ok || row.status === 'invited') throw new AppError('UNAUTHORIZED', 'INVALID_CREDENTIALS', 'Incorrect email or password');
  if (guard) await recordLoginSuccess(app, guard, attempt!);
  // A hash made before passwords were NFC-normalised matched as typed: store the NFC hash instead, once.
  if (rehash && row.passwordHash) await replacePasswordHash(app.em(), row.id, row.passwordHash, rehash);
  // Status is told only to someone who proved they know the password.
  if (row.status === 'rejected') {
    const reason = row.rejectionReason ? ` Reason: ${row.rejectionReason}` : '';
    throw new AppError('FORBIDDEN', 'ACCOUNT_REJECTED', `Your registration was declined.${reason}`, {
      details: { rejectionReason: row.rejectionReason },
    });
  }
  if (row.status !== 'active') {
    // Every status left here has its refusal (typed exhaustively: a new status must add one).
    const [reason, message] = STATUS_REFUSALS[row.status];
    throw new AppError('FORBIDDEN', reason, message);
  }
  return { userId: row.id };
}

/** Headless installs: ADMIN_EMAIL + ADMIN_PASSWORD create the first admin at start, once. */
export async function ensureAdminFromConfig(app: AppServices): Promise<void> {
  const admin = app.config.admin;
  if (!admin) return;
  if (await adminExists(app)) return;
  try {
    // ADMIN_PASSWORD is the operator's, checked by the config's own rules (the policy is for people choosing one).
    await createFirstAdmin(app, { email: admin.email, password: admin.password, firstName: 'Portal', lastName: 'Admin' }, { checkPolicy: false });
    app.log.info('created the first admin from ADMIN_EMAIL', { email: admin.email });
  } catch (e) {
    if (e instanceof AppError && e.reason === 'SETUP_DONE') return;
    throw e;
  }
}
