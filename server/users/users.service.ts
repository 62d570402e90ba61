import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { RegisterInput, RegisterOutput } from '../../shared/schemas/users.js';
import type { UserSnapshot } from '../../shared/events.js';
import type { UserStatus } from '../../shared/constants.js';
import type { AllSettings } from '../../shared/schemas/settings.js';
import { AppError } from '../errors.js';
import { hashPassword } from '../auth/password.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { readSettings } from '../settings/settings.repository.js';
import { defaultOrganisationId, loadUserSnapshot } from './users.snapshot.js';
import { activeAdmins } from './users.repository.js';

// Serialises checks that "another active admin remains" (two admins deactivating each other at once).
const ADMIN_GUARD_LOCK = 0x4164_6d47; // "AdmG"
// How often the owner of an address is told that someone tried to register with it.
const SIGNUP_ATTEMPT_NOTICE_INTERVAL_MS = 60 * 60_000;

const userUrl = (app: AppServices, id: string) => `${app.publicUrl()}/admin/users/${id}`;
const loginUrl = (app: AppServices) => `${app.publicUrl()}/login`;

// ---------------------------------------------------------------------------------------------
// Self-registration

/** The domain part of an address, lower-cased ("Dev@Example.COM" → "example.com"). */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase();
}

/** Whether the policy approves a registration from this address at once. */
export function isAutoApproved(settings: Pick<AllSettings, 'autoApprove' | 'autoApproveDomains'>, email: string): boolean {
  if (settings.autoApprove) return true;
  const domain = emailDomain(email);
  // Exact domain match: "example.com" approves dev@example.com, not dev@sub.example.com or dev@badexample.com.
  return settings.autoApproveDomains.some((d) => d.toLowerCase() === domain);
}

function signupDisabled(): AppError {
  return new AppError('FORBIDDEN', 'SIGNUP_DISABLED', 'Registration is closed on this portal. Please contact the portal administrator.');
}

/**
 * A developer registers on the portal. The account joins the default organisation, active at once
 * when the policy says so, otherwise pending an admin's decision.
 *
 * An address that already has an account gets the very same answer (no enumeration): nothing is
 * created and the owner of the address is told by email that someone tried to register with it.
 * Uniqueness is decided by the lower(email) unique index (insert … on conflict do nothing), so
 * concurrent sign-ups with case variants of one address create exactly one account.
 */
export async function registerDeveloper(app: AppServices, input: Omit<RegisterInput, 'confirmPassword'>): Promise<RegisterOutput> {
  if (!(await readSettings(app.em())).signupEnabled) throw signupDisabled();
  // Hash before the transaction: the same cost on every path, and no lock held while hashing.
  const passwordHash = await hashPassword(input.password);
  const email = input.email.trim();

  return app.em().transactional(async (tx) => {
    const settings = await readSettings(tx);
    // The setting may have been switched off while the password was hashing.
    if (!settings.signupEnabled) throw signupDisabled();
    const status: 'active' | 'pending' = isAutoApproved(settings, email) ? 'active' : 'pending';
    const id = randomUUID();
    const orgId = await defaultOrganisationId(tx);
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
       values (?, ?, ?, ?, ?, 'developer', ?, ?, false, now(), now(), 1)
       on conflict ((lower(email))) do nothing
       returning id`,
      [id, email, input.firstName, input.lastName, orgId, status, passwordHash],
    );

    if (inserted.length === 0) {
      await noticeExistingOwner(app, tx, email);
      return { status };
    }

    const user = (await loadUserSnapshot(tx, id))!;
    if (status === 'active') {
      await queueEmail(tx, 'welcome', user.email, { firstName: user.firstName, loginUrl: loginUrl(app) }, { userId: id });
    } else {
      await queueEmail(tx, 'registration-received', user.email, { firstName: user.firstName }, { userId: id });
      for (const admin of await activeAdmins(tx)) {
        await queueEmail(
          tx,
          'admin-new-registration',
          admin.email,
          { adminFirstName: admin.firstName, userName: `${user.firstName} ${user.lastName}`, userEmail: user.email, userUrl: userUrl(app, id) },
          { userId: admin.id },
        );
      }
    }
    await appendEvent(tx, 'user.registered', { user, autoApproved: status === 'active' }, { actorId: id, userId: id });
    return { status };
  });
}

/** Tells the owner of an address someone tried to register with it, at most once an hour. */
async function noticeExistingOwner(app: AppServices, tx: EntityManager, email: string): Promise<void> {
  // The row lock makes concurrent attempts for one address queue up, so the throttle below holds.
  const rows = await tx.execute<{ id: string; email: string; first_name: string }[]>(
    `select id, email, first_name from app_user where lower(email) = lower(?) for update`,
    [email],
  );
  const owner = rows[0];
  if (!owner) return; // deleted in the meantime
  const since = new Date(app.clock.now().getTime() - SIGNUP_ATTEMPT_NOTICE_INTERVAL_MS);
  const recent = await tx.execute<{ n: string }[]>(
    `select count(*) as n from email_outbox where user_id = ? and template = 'signup-attempt-existing' and created_at > ?`,
    [owner.id, since],
  );
  if (Number(recent[0]?.n ?? 0) > 0) return;
  await queueEmail(
    tx,
    'signup-attempt-existing',
    owner.email,
    { firstName: owner.first_name, loginUrl: loginUrl(app), resetUrl: `${app.publicUrl()}/forgot-password` },
    { userId: owner.id },
  );
}

// ---------------------------------------------------------------------------------------------
// Admin decisions. Each takes the version the admin saw: the row is locked, and when its version
// moved on (another admin acted first) the call fails with USER_CHANGED and the current state, so
// of two admins racing on one user exactly one wins. Usable one by one for bulk decisions.

const ACTION_LABELS = {
  activate: 'activated',
  reject: 'rejected',
  deactivate: 'deactivated',
  delete: 'deleted',
} as const;
type Action = keyof typeof ACTION_LABELS;

const ALLOWED_FROM: Record<Action, readonly UserStatus[]> = {
  activate: ['pending', 'inactive'],
  reject: ['pending'],
  deactivate: ['active'],
  delete: ['pending', 'active', 'rejected', 'inactive', 'invited'],
};

interface LockedUser {
  id: string;
  email: string;
  firstName: string;
  role: string;
  status: UserStatus;
  version: number;
}

/** Locks the user row and checks it is still what the admin saw and that the action fits its status. */
async function lockForAction(tx: EntityManager, action: Action, userId: string, expectedVersion: number): Promise<LockedUser> {
  const rows = await tx.execute<any[]>(`select id, email, first_name, role, status, version from app_user where id = ? for update`, [userId]);
  const r = rows[0];
  if (!r) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
  const locked: LockedUser = { id: r.id, email: r.email, firstName: r.first_name, role: r.role, status: r.status, version: Number(r.version) };
  if (locked.version !== expectedVersion) {
    const current = await loadUserSnapshot(tx, userId);
    throw new AppError('CONFLICT', 'USER_CHANGED', 'This user was changed by someone else in the meantime. Review the current state and try again.', {
      details: { user: current },
    });
  }
  if (!ALLOWED_FROM[action].includes(locked.status)) {
    const current = await loadUserSnapshot(tx, userId);
    throw new AppError('CONFLICT', 'INVALID_TRANSITION', `A user who is ${locked.status} cannot be ${ACTION_LABELS[action]}.`, {
      details: { user: current },
    });
  }
  return locked;
}

/**
 * Refuses to remove the last active admin. Call in the transaction, with the target row locked;
 * the advisory lock makes two admins removing each other at once take turns.
 */
export async function assertAnotherActiveAdmin(tx: EntityManager, target: { id: string; role: string; status: string }): Promise<void> {
  if (target.role !== 'admin' || target.status !== 'active') return;
  await tx.execute('select pg_advisory_xact_lock(?)', [ADMIN_GUARD_LOCK]);
  const rows = await tx.execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'admin' and status = 'active' and id <> ?`, [target.id]);
  if (Number(rows[0]?.n ?? 0) === 0) {
    throw new AppError('CONFLICT', 'LAST_ADMIN', 'This is the last active administrator; activate or add another administrator first.');
  }
}

function refuseSelf(actor: SessionUser, userId: string, what: string): void {
  if (actor.id === userId) throw new AppError('CONFLICT', 'SELF_ACTION', `You cannot ${what} your own account.`);
}

async function setStatus(tx: EntityManager, userId: string, status: UserStatus, rejectionReason: string | null): Promise<UserSnapshot> {
  await tx.execute(`update app_user set status = ?, rejection_reason = ?, version = version + 1, updated_at = now() where id = ?`, [
    status,
    rejectionReason,
    userId,
  ]);
  return (await loadUserSnapshot(tx, userId))!;
}

/** Activate developer: pending → active (approval) or inactive → active. Emails the user. */
export async function activateUser(app: AppServices, actor: SessionUser, userId: string, expectedVersion: number): Promise<UserSnapshot> {
  return app.em().transactional(async (tx) => {
    const before = await lockForAction(tx, 'activate', userId, expectedVersion);
    const user = await setStatus(tx, userId, 'active', null);
    await queueEmail(tx, 'account-activated', user.email, { firstName: user.firstName, loginUrl: loginUrl(app) }, { userId });
    await appendEvent(tx, 'user.activated', { user, previousStatus: before.status }, { actorId: actor.id, userId });
    return user;
  });
}

/** Reject a pending registration, with an optional reason the user is told (by email and at login). */
export async function rejectUser(
  app: AppServices,
  actor: SessionUser,
  userId: string,
  expectedVersion: number,
  reason: string | null = null,
): Promise<UserSnapshot> {
  const why = reason?.trim() ? reason.trim() : null;
  return app.em().transactional(async (tx) => {
    await lockForAction(tx, 'reject', userId, expectedVersion);
    const user = await setStatus(tx, userId, 'rejected', why);
    await queueEmail(tx, 'registration-rejected', user.email, { firstName: user.firstName, reason: why }, { userId });
    await appendEvent(tx, 'user.rejected', { user, reason: why }, { actorId: actor.id, userId });
    return user;
  });
}

/** Deactivate: active → inactive. Every session of the user is revoked in the same transaction. */
export async function deactivateUser(app: AppServices, actor: SessionUser, userId: string, expectedVersion: number): Promise<UserSnapshot> {
  refuseSelf(actor, userId, 'deactivate');
  return app.em().transactional(async (tx) => {
    const before = await lockForAction(tx, 'deactivate', userId, expectedVersion);
    await assertAnotherActiveAdmin(tx, before);
    const user = await setStatus(tx, userId, 'inactive', null);
    // Sessions are validated against this table on every call (HTTP and each WebSocket message),
    // so an open connection's next call is refused once this commits.
    await tx.execute(`delete from user_session where user_id = ?`, [userId]);
    await appendEvent(tx, 'user.deactivated', { user }, { actorId: actor.id, userId });
    return user;
  });
}

/** Deletes the user (sessions and tokens go with it by cascade). History stays in domain_event. */
export async function deleteUser(app: AppServices, actor: SessionUser, userId: string, expectedVersion: number): Promise<UserSnapshot> {
  refuseSelf(actor, userId, 'delete');
  return app.em().transactional(async (tx) => {
    const before = await lockForAction(tx, 'delete', userId, expectedVersion);
    await assertAnotherActiveAdmin(tx, before);
    const user = (await loadUserSnapshot(tx, userId))!;
    await tx.execute(`delete from app_user where id = ?`, [userId]);
    await appendEvent(tx, 'user.deleted', { user }, { actorId: actor.id, userId });
    return user;
  });
}
