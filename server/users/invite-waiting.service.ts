import type { AppServices } from '../app-services.js';
import { appendEvent } from '../events/append.js';
import { acceptUrlFor, attachInviteEmail, createInviteToken } from '../invites/invites.service.js';
import { invitesOfUser } from '../invites/invites.repository.js';
import { queueEmail } from '../mail/outbox.js';
import { loadUserSnapshot, lockUser } from './users.repository.js';

export type InviteReminder = 'reminded' | 'fresh-link' | 'nothing-waiting' | 'rate-limited';

/**
 * Someone tried to log in with the address of an invited user (who has no password yet). The
 * login answers exactly as for a wrong password (no enumeration); the invited address, and only
 * it, is told that an invitation is waiting, at most once an hour per address
 * (limits.inviteWaitingPerEmail, shared by every process):
 *
 * - the latest invite still works: the email points to it (its raw token is not kept, so no link);
 * - the latest invite expired: a fresh link is issued through the invites service (invite.sent,
 *   without an actor) and the email carries it;
 * - no invite was ever sent, or the admin revoked it: nothing is waiting, nothing is sent.
 */
export async function remindInvitee(app: AppServices, userId: string): Promise<InviteReminder> {
  return app.em().transactional(async (tx) => {
    const user = await lockUser(tx, userId);
    if (!user || user.status !== 'invited') return 'nothing-waiting';
    const now = app.clock.now();
    const latest = (await invitesOfUser(tx, userId, now))[0];
    if (!latest || (latest.state !== 'pending' && latest.state !== 'expired')) return 'nothing-waiting';
    if ((await app.limits.inviteWaitingPerEmail.hit(user.email.toLowerCase())) > 0) return 'rate-limited';

    if (latest.state === 'pending') {
      await queueEmail(
        tx,
        'invite-waiting',
        user.email,
        { firstName: user.firstName, acceptUrl: null, expiresAt: null, earlierLinkExpiresAt: latest.expiresAt },
        { userId },
      );
      return 'reminded';
    }
    const { token, tokenId, expiresAt } = await createInviteToken(app, tx, userId, null);
    const outboxId = await queueEmail(
      tx,
      'invite-waiting',
      user.email,
      { firstName: user.firstName, acceptUrl: acceptUrlFor(app, token), expiresAt: expiresAt.toISOString(), earlierLinkExpiresAt: null },
      { userId },
    );
    await attachInviteEmail(tx, tokenId, outboxId);
    const snapshot = (await loadUserSnapshot(tx, userId))!;
    await appendEvent(tx, 'invite.sent', { user: snapshot, tokenId, expiresAt: expiresAt.toISOString() }, { actorId: null, userId });
    return 'fresh-link';
  });
}
