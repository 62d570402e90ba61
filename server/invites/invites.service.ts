import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { AcceptInviteInput, InviteInspectOutput, InviteState } from '../../shared/schemas/invites.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { readSettings } from '../settings/settings.repository.js';
import { generateToken, hashToken } from '../security/tokens.js';
import { hashPassword } from '../auth/password.js';
import { loadUserSnapshot } from '../users/users.snapshot.js';
import { inviteById, inviteByHash, inviteStateName, lockInvitee } from './invites.repository.js';

const DAY_MS = 24 * 60 * 60_000;

export const acceptUrlFor = (app: AppServices, token: string) => `${app.publicUrl()}/register?invite=${encodeURIComponent(token)}`;

/**
 * Creates a fresh invite token for the user and queues the invite email, inside the caller's
 * transaction (the caller locked the user row and appends the event). Only the token's SHA-256
 * is stored; the raw token exists in the queued email's link alone (the outbox scrubs it once sent).
 */
export async function issueInvite(
  app: AppServices,
  tx: EntityManager,
  invitee: { id: string; email: string; firstName: string },
  actor: { id: string; firstName: string; lastName: string },
): Promise<{ tokenId: string; expiresAt: Date }> {
  const settings = await readSettings(tx);
  const token = generateToken();
  const tokenId = randomUUID();
  const now = app.clock.now();
  const expiresAt = new Date(now.getTime() + settings.inviteLifetimeDays * DAY_MS);
  await tx.execute(
    `insert into auth_token (id, user_id, purpose, token_hash, expires_at, created_by_id, created_at) values (?, ?, 'invite', ?, ?, ?, ?)`,
    [tokenId, invitee.id, hashToken(token), expiresAt, actor.id, now],
  );
  const outboxId = await queueEmail(
    tx,
    'invite',
    invitee.email,
    {
      firstName: invitee.firstName,
      inviterName: `${actor.firstName} ${actor.lastName}`.trim(),
      acceptUrl: acceptUrlFor(app, token),
      expiresAt: expiresAt.toISOString(),
    },
    { userId: invitee.id },
  );
  await tx.execute(`update auth_token set outbox_id = ? where id = ?`, [outboxId, tokenId]);
  return { tokenId, expiresAt };
}

/** Voids every invite of the user that could still be used; returns their ids. */
async function voidPendingInvites(tx: EntityManager, userId: string, now: Date, exceptId: string | null = null): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `update auth_token set revoked_at = ?
      where user_id = ? and purpose = 'invite' and used_at is null and revoked_at is null and expires_at > ? and id is distinct from ?
      returning id`,
    [now, userId, now, exceptId],
  );
  return rows.map((r) => r.id);
}

async function lockInvitableUser(tx: EntityManager, userId: string) {
  const u = await lockInvitee(tx, userId);
  if (!u) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
  if (u.has_password || u.status !== 'invited') {
    throw new AppError('CONFLICT', 'INVITE_NOT_ALLOWED', 'This user has already set a password; invites are only for users who have not.');
  }
  return u;
}

/**
 * Send invite (mode 'send'): only when no invite is pending, so two admins clicking at once send
 * one. Resend invite (mode 'resend'): voids the pending link and sends a new one.
 */
export async function sendInvite(app: AppServices, actor: SessionUser, userId: string, mode: 'send' | 'resend'): Promise<InviteState> {
  return app.em().transactional(async (tx) => {
    const u = await lockInvitableUser(tx, userId);
    const now = app.clock.now();
    let voided: string[] = [];
    if (mode === 'send') {
      const pending = await tx.execute<{ n: string }[]>(
        `select count(*) as n from auth_token where user_id = ? and purpose = 'invite' and used_at is null and revoked_at is null and expires_at > ?`,
        [userId, now],
      );
      if (Number(pending[0]?.n ?? 0) > 0) {
        throw new AppError('CONFLICT', 'INVITE_PENDING', 'An invite is already pending for this user. Use "Resend invite" to send a new link.');
      }
    } else {
      voided = await voidPendingInvites(tx, userId, now);
    }
    const previous = await tx.execute<{ n: string }[]>(`select count(*) as n from auth_token where user_id = ? and purpose = 'invite'`, [userId]);
    const { tokenId, expiresAt } = await issueInvite(app, tx, { id: u.id, email: u.email, firstName: u.first_name }, actor);
    const user = (await loadUserSnapshot(tx, userId))!;
    const isResend = mode === 'resend' && (voided.length > 0 || Number(previous[0]?.n ?? 0) > 0);
    await appendEvent(tx, isResend ? 'invite.resent' : 'invite.sent', { user, tokenId, expiresAt: expiresAt.toISOString() }, { actorId: actor.id, userId });
    return (await inviteById(tx, tokenId, now))!;
  });
}

/** Revoke invite: the pending link stops working at once. */
export async function revokeInvite(app: AppServices, actor: SessionUser, userId: string): Promise<InviteState> {
  return app.em().transactional(async (tx) => {
    const u = await lockInvitee(tx, userId);
    if (!u) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
    const now = app.clock.now();
    const voided = await voidPendingInvites(tx, userId, now);
    const tokenId = voided[0];
    if (!tokenId) {
      throw new AppError('CONFLICT', 'CONFLICT', 'There is no pending invite to revoke: it was accepted, revoked or has expired.');
    }
    const user = (await loadUserSnapshot(tx, userId))!;
    await appendEvent(tx, 'invite.revoked', { user, tokenId }, { actorId: actor.id, userId });
    return (await inviteById(tx, tokenId, now))!;
  });
}

type InviteRowForCheck = Awaited<ReturnType<typeof inviteByHash>>;

/** Why a link cannot be used, in words the invitee can act on. */
function unusable(row: InviteRowForCheck, now: Date): AppError | null {
  if (!row) {
    return new AppError('NOT_FOUND', 'TOKEN_INVALID', 'This invitation link is not valid. Check that you opened the whole link from the email, or ask the portal administrator for a new invitation.');
  }
  const state = inviteStateName(row, now);
  if (state === 'accepted') {
    return new AppError('BAD_REQUEST', 'TOKEN_USED', 'This invitation has already been accepted. Log in with the password you chose.');
  }
  if (state === 'revoked') {
    return new AppError('BAD_REQUEST', 'TOKEN_REVOKED', 'This invitation was withdrawn or replaced by a newer one. Use the link in the latest invitation email, or ask the portal administrator for a new one.');
  }
  if (state === 'expired') {
    return new AppError('BAD_REQUEST', 'TOKEN_EXPIRED', 'This invitation has expired. Ask the portal administrator to send you a new one.');
  }
  if (row.has_password || row.status !== 'invited') {
    return new AppError('BAD_REQUEST', 'TOKEN_USED', 'This account is already set up. Log in with your password.');
  }
  return null;
}

/** The invitee opened the link: prefill data for the form, and the first opening is recorded. */
export async function inspectInvite(app: AppServices, token: string): Promise<InviteInspectOutput> {
  const em = app.em();
  const now = app.clock.now();
  const row = await inviteByHash(em, hashToken(token));
  const refusal = unusable(row, now);
  if (refusal) throw refusal;
  await em.execute(`update auth_token set opened_at = ? where id = ? and opened_at is null`, [now, row!.id]);
  return { email: row!.email, firstName: row!.first_name, lastName: row!.last_name, expiresAt: new Date(row!.expires_at).toISOString() };
}

/**
 * The invitee sets a password. The token is claimed by one conditional UPDATE (unused, unrevoked,
 * unexpired → used), so of two tabs submitting at once exactly one succeeds; the loser is told the
 * link was used. The user becomes active; the caller then logs them in.
 */
export async function acceptInvite(app: AppServices, input: Omit<AcceptInviteInput, 'confirmPassword'>): Promise<{ userId: string }> {
  const tokenHash = hashToken(input.token);
  const passwordHash = await hashPassword(input.password);
  return app.em().transactional(async (tx) => {
    const now = app.clock.now();
    const claimed = await tx.execute<{ id: string; user_id: string }[]>(
      `update auth_token set used_at = ?
        where token_hash = ? and purpose = 'invite' and used_at is null and revoked_at is null and expires_at > ?
        returning id, user_id`,
      [now, tokenHash, now],
    );
    const claim = claimed[0];
    if (!claim) {
      throw unusable(await inviteByHash(tx, tokenHash), now) ?? new AppError('BAD_REQUEST', 'TOKEN_USED', 'This invitation has already been used.');
    }
    const activated = await tx.execute<{ email: string; first_name: string }[]>(
      `update app_user set password_hash = ?, first_name = ?, last_name = ?, status = 'active', must_change_password = false,
              updated_at = ?, version = version + 1
        where id = ? and status = 'invited' and password_hash is null
        returning email, first_name`,
      [passwordHash, input.firstName, input.lastName, now, claim.user_id],
    );
    const row = activated[0];
    // Throwing rolls the claim back too.
    if (!row) throw new AppError('BAD_REQUEST', 'TOKEN_USED', 'This account is already set up. Log in with your password.');
    await voidPendingInvites(tx, claim.user_id, now, claim.id);
    await queueEmail(tx, 'welcome', row.email, { firstName: row.first_name, loginUrl: `${app.publicUrl()}/login` }, { userId: claim.user_id });
    const user = (await loadUserSnapshot(tx, claim.user_id))!;
    await appendEvent(tx, 'invite.accepted', { user, tokenId: claim.id }, { actorId: claim.user_id, userId: claim.user_id });
    return { userId: claim.user_id };
  });
}
