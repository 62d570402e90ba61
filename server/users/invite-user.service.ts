import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { AcceptInviteInput, InviteState, InvitesForUser } from '../../shared/schemas/invites.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { hashPassword } from '../security/password.js';
import { checkNewPassword } from '../settings/session-settings.service.js';
import { inviteById, invitesOfUser } from '../invites/invites.repository.js';
import { claimInvite, inviteUser, revokePendingInvite, voidPendingInvites } from '../invites/invites.service.js';
import { activateInvitedUser, inviteEligibility, loadUserSnapshot, lockUser } from './users.repository.js';
import { recordTermsAcceptance, requireTicked, type AcceptanceEvidence } from '../terms/terms.service.js';

// The invite use cases that read or change the user: the user row is locked here and handed to
// invites/ (which owns the tokens and never reads users itself); the events carry its snapshot.

/** "More Options" on the user page: whether an invite may be sent, and every invite so far. */
export async function invitesForUser(app: AppServices, userId: string): Promise<InvitesForUser> {
  const em = app.em();
  const eligibility = await inviteEligibility(em, userId);
  if (!eligibility) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user does not exist (it may have been deleted)');
  const history = await invitesOfUser(em, userId, app.clock.now());
  return { canInvite: eligibility.canInvite, latest: history[0] ?? null, history };
}

/** Send invite or Resend invite (see inviteUser). */
export async function sendInvite(app: AppServices, actor: SessionUser, userId: string, mode: 'send' | 'resend'): Promise<InviteState> {
  return app.em().transactional(async (tx) => {
    const u = await lockUser(tx, userId);
    if (!u) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
    const { tokenId, expiresAt, isResend } = await inviteUser(app, tx, { ...u, hasPassword: u.passwordHash !== null }, actor, mode);
    const user = (await loadUserSnapshot(tx, userId))!;
    await appendEvent(tx, isResend ? 'invite.resent' : 'invite.sent', { user, tokenId, expiresAt: expiresAt.toISOString() }, { actorId: actor.id, userId });
    return (await inviteById(tx, tokenId, app.clock.now()))!;
  });
}

/** Revoke invite: the pending link stops working at once. */
export async function revokeInvite(app: AppServices, actor: SessionUser, userId: string): Promise<InviteState> {
  return app.em().transactional(async (tx) => {
    const u = await lockUser(tx, userId);
    if (!u) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
    const now = app.clock.now();
    const tokenId = await revokePendingInvite(tx, userId, now);
    const user = (await loadUserSnapshot(tx, userId))!;
    await appendEvent(tx, 'invite.revoked', { user, tokenId }, { actorId: actor.id, userId });
    return (await inviteById(tx, tokenId, now))!;
  });
}

/**
 * The invitee sets a password: the link is claimed (exactly one of two racing tabs wins), the
 * user becomes active, other links die, the welcome email is queued and invite.accepted appended,
 * in one transaction. The caller then logs them in.
 */
export async function acceptInvite(
  app: AppServices,
  input: Omit<AcceptInviteInput, 'confirmPassword'>,
  evidence: AcceptanceEvidence = { ip: '', userAgent: '' },
): Promise<{ userId: string }> {
  // With terms published, the invitee must tick the box (checked before any hashing).
  await requireTicked(app.em(), input.acceptTerms);
  await checkNewPassword(app.em(), input.password);
  const passwordHash = await hashPassword(input.password);
  return app.em().transactional(async (tx) => {
    const now = app.clock.now();
    const claim = await claimInvite(tx, input.token, now);
    const row = await activateInvitedUser(tx, claim.userId, { passwordHash, firstName: input.firstName, lastName: input.lastName }, now);
    // Throwing rolls the claim back too.
    if (!row) throw new AppError('BAD_REQUEST', 'TOKEN_USED', 'This account is already set up. Log in with your password.');
    await voidPendingInvites(tx, claim.userId, now, claim.tokenId);
    const terms = await requireTicked(tx, input.acceptTerms);
    if (terms) await recordTermsAcceptance(app, tx, claim.userId, terms.id, evidence, 'invite');
    await queueEmail(tx, 'welcome', row.email, { firstName: row.firstName, loginUrl: `${app.publicUrl()}/login` }, { userId: claim.userId });
    const user = (await loadUserSnapshot(tx, claim.userId))!;
    await appendEvent(tx, 'invite.accepted', { user, tokenId: claim.tokenId }, { actorId: claim.userId, userId: claim.userId });
    return { userId: claim.userId };
  });
}
