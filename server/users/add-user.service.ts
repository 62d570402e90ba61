import { randomUUID } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { AddUserData, AddUserOutput } from '../../shared/schemas/user-admin.js';
import { AppError } from '../errors.js';
import { hashPassword } from '../security/password.js';
import { checkNewPassword } from '../settings/session-settings.service.js';
import { appendEvent } from '../events/append.js';
import { issueInvite } from '../invites/invites.service.js';
import { inviteById } from '../invites/invites.repository.js';
import { queueEmail } from '../mail/outbox.js';
import { insertUser, isEmailTaken, loadUserSnapshot } from './users.repository.js';

/** True when a foreign key to organisation was violated (the organisation was deleted or never existed). */
export function isUnknownOrganisation(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null | undefined;
  return e?.code === '23503' && (e.constraint === 'app_user_organisation_id_foreign' || /app_user_organisation_id_foreign/.test(e.message ?? ''));
}

export function unknownOrganisation(): AppError {
  return new AppError('BAD_REQUEST', 'NOT_FOUND', 'This organisation no longer exists', {
    fieldErrors: { organisationId: 'This organisation no longer exists; choose another one' },
  });
}

/**
 * Add new user (admin). With a password the account is active at once (flagged to change it at
 * the first login unless the admin unticked it) and the user gets the account-created email
 * (login link, never the password); without one it is `invited` and, when asked, the invite goes out
 * in the same transaction. A taken email is told plainly: the one asking is an admin.
 */
export async function addUser(app: AppServices, actor: SessionUser, input: AddUserData): Promise<AddUserOutput> {
  if (input.mode === 'password') await checkNewPassword(app.em(), input.password);
  const passwordHash = input.mode === 'password' ? await hashPassword(input.password) : null;
  const email = input.email.trim();
  try {
    return await app.em().transactional(async (tx) => {
      const id = randomUUID();
      const now = app.clock.now();
      await insertUser(tx, {
        id,
        email,
        firstName: input.firstName,
        lastName: input.lastName,
        organisationId: input.organisationId,
        role: 'developer',
        status: input.mode === 'password' ? 'active' : 'invited',
        passwordHash,
        mustChangePassword: input.mode === 'password' ? input.mustChangePassword : false,
        createdAt: now,
      });
      const invite = input.mode === 'invite' && input.sendInvite ? await issueInvite(app, tx, { id, email, firstName: input.firstName }, actor) : null;
      const user = (await loadUserSnapshot(tx, id))!;
      if (input.mode === 'password') {
        await appendEvent(tx, 'user.created', { user, mustChangePassword: input.mustChangePassword }, { actorId: actor.id, userId: id });
        // The user learns the account exists and where to log in; the password never travels by email.
        await queueEmail(tx, 'account-created', email, { firstName: user.firstName, email, loginUrl: `${app.publicUrl()}/login` }, { userId: id });
      } else {
        await appendEvent(tx, 'user.invited', { user }, { actorId: actor.id, userId: id });
      }
      if (invite) {
        await appendEvent(tx, 'invite.sent', { user, tokenId: invite.tokenId, expiresAt: invite.expiresAt.toISOString() }, { actorId: actor.id, userId: id });
      }
      return { user, invite: invite ? await inviteById(tx, invite.tokenId, now) : null };
    });
  } catch (e) {
    if (isEmailTaken(e)) {
      throw new AppError('CONFLICT', 'EMAIL_TAKEN', 'A user with this email already exists', {
        fieldErrors: { email: 'A user with this email already exists' },
      });
    }
    if (isUnknownOrganisation(e)) throw unknownOrganisation();
    throw e;
  }
}
