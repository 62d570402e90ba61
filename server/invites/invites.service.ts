import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { InviteInspectOutput } from '../../shared/schemas/invites.js';
import { AppError } from '../errors.js';
import { queueEmail } from '../mail/outbox.js';
import { readSettings } from '../settings/settings.repository.js';
import { generateToken, hashToken } from '../security/tokens.js';
import { inviteByHash, inviteStateName } from './invites.repository.js';

const DAY_MS = 24 * 60 * 60_000;

// The token travels in the fragment, which browsers never send to servers or proxies (the page posts it).
export const acceptUrlFor = (app: AppServices, token: string) => `${app.publicUrl()}/invite#token=${encodeURIComponent(token)}`;

/**
 * Stores a new invite token (only its SHA-256) for the user, inside the caller's transaction, and
 * returns the raw token, which the caller puts in exactly one queued email (see attachInviteEmail).
 */
export async function createInviteToken(
  app: AppServices,
  tx: EntityManager,
  inviteeId: string,
  createdById: string | null,
): Promise<{ token: string; tokenId: string; expiresAt: Date }> {
  const settings = await readSettings(tx);
  const token = generateToken();
  const tokenId = randomUUID();
  const now = app.clock.now();
  const expiresAt = new Date(now.getTime() + settings.inviteLifetimeDays * DAY_MS);
  await tx.execute(`insert into auth_token (id, user_id, purpose, token_hash, expires_at, created_by_id, created_at) values (?, ?, 'invite', ?, ?, ?, ?)`, [
    tokenId,
    inviteeId,
    hashToken(token),
    expiresAt,
    createdById,
    now,
  ]);
  return { token, tokenId, expiresAt };
}

/** Records which queued email carries the invite's link (the invite panel shows its delivery). */
export async function attachInviteEmail(tx: EntityManager, tokenId: string, outboxId: number): Promise<void> {
  await tx.execute(`update auth_token set outbox_id = ? where id = ?`, [outboxId, tokenId]);
}

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
  const { token, tokenId, expiresAt } = await createInviteToken(app, tx, invitee.id, actor.id);
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
  await attachInviteEmail(tx, tokenId, outboxId);
  return { tokenId, expiresAt };
}

/** Voids every invite of the user that could still be used; returns their ids. */
export async function voidPendingInvites(tx: EntityManager, userId: string, now: Date, exceptId: string | null = null): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `update auth_token set revoked_at = ?
      where user_id = ? and purpose = 'invite' and used_at is null and revoked_at is null and expires_at > ? and id is distinct from ?
      returning id`,
    [now, userId, now, exceptId],
  );
  return rows.map((r) => r.id);
}

/** The invitee as the caller read it, under its row lock (invites never read users themselves). */
export interface Invitee {
  id: string;
  email: string;
  firstName: string;
  status: string;
  hasPassword: boolean;
}

/**
 * Send invite (mode 'send'): only when no invite is pending, so two admins clicking at once send
 * one. Resend invite (mode 'resend'): voids the pending link and sends a new one. Runs in the
 * caller's transaction, with the invitee's row locked by the caller (which appends the event).
 */
export async function inviteUser(
  app: AppServices,
  tx: EntityManager,
  invitee: Invitee,
  actor: { id: string; firstName: string; lastName: string },
  mode: 'send' | 'resend',
): Promise<{ tokenId: string; expiresAt: Date; isResend: boolean }> {
  if (invitee.hasPassword || invitee.status !== 'invited') {
    throw new AppError('CONFLICT', 'INVITE_NOT_ALLOWED', 'This user has already set a password; invites are only for users who have not.');
  }
  const now = app.clock.now();
  let voided: string[] = [];
  if (mode === 'send') {
    const pending = await tx.execute<{ n: string }[]>(
      `select count(*) as n from auth_token where user_id = ? and purpose = 'invite' and used_at is null and revoked_at is null and expires_at > ?`,
      [invitee.id, now],
    );
    if (Number(pending[0]?.n ?? 0) > 0) {
      throw new AppError('CONFLICT', 'INVITE_PENDING', 'An invite is already pending for this user. Use "Resend invite" to send a new link.');
    }
  } else {
    voided = await voidPendingInvites(tx, invitee.id, now);
  }
  const previous = await tx.execute<{ n: string }[]>(`select count(*) as n from auth_token where user_id = ? and purpose = 'invite'`, [invitee.id]);
  const { tokenId, expiresAt } = await issueInvite(app, tx, invitee, actor);
  const isResend = mode === 'resend' && (voided.length > 0 || Number(previous[0]?.n ?? 0) > 0);
  return { tokenId, expiresAt, isResend };
}

/** Revoke invite: the pending link stops working at once. Returns the revoked token's id. */
export async function revokePendingInvite(tx: EntityManager, userId: string, now: Date): Promise<string> {
  const voided = await voidPendingInvites(tx, userId, now);
  const tokenId = voided[0];
  if (!tokenId) {
    throw new AppError('CONFLICT', 'CONFLICT', 'There is no pending invite to revoke: it was accepted, revoked or has expired.');
  }
  return tokenId;
}

type InviteRowForCheck = Awaited<ReturnType<typeof inviteByHash>>;

/** Why a link cannot be used, in words the invitee can act on. */
function unusable(row: InviteRowForCheck, now: Date): AppError | null {
  if (!row) {
    return new AppError(
      'NOT_FOUND',
      'TOKEN_INVALID',
      'This invitation link is not valid. Check that you opened the whole link from the email, or ask the portal administrator for a new invitation.',
    );
  }
  const state = inviteStateName(row, now);
  if (state === 'accepted') {
    return new AppError('BAD_REQUEST', 'TOKEN_USED', 'This invitation has already been accepted. Log in with the password you chose.');
  }
  if (state === 'revoked') {
    return new AppError(
      'BAD_REQUEST',
      'TOKEN_REVOKED',
      'This invitation was withdrawn or replaced by a newer one. Use the link in the latest invitation email, or ask the portal administrator for a new one.',
    );
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
 * Claims the link for the invitee setting a password, in the caller's transaction: one
 * conditional UPDATE (unused, unrevoked, unexpired → used), so of two tabs submitting at once
 * exactly one succeeds; the loser is told the link was used. The caller activates the user.
 */
export async function claimInvite(tx: EntityManager, token: string, now: Date): Promise<{ tokenId: string; userId: string }> {
  const tokenHash = hashToken(token);
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
  return { tokenId: claim.id, userId: claim.user_id };
}
