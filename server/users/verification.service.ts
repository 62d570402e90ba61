import type { AppServices } from '../app-services.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { hashToken } from '../security/tokens.js';
import { readSettings } from '../settings/settings.repository.js';
import { EMAIL_VERIFY_TTL_HOURS } from '../../shared/schemas/verification.js';
import { isAutoApproved } from './registration.service.js';
import { announceDecision, issueVerificationLink } from './registration-mail.js';
import { deleteUnverifiedBefore, loadUserSnapshot, lockUser, lockUserByEmail, setVerifiedStatus } from './users.repository.js';
import { claimVerifyToken, findVerifyToken, registeredAsDisposable, revokeVerifyTokens, type VerifyTokenRow } from './verification.repository.js';

// Email verification (issue 12, item 1). A self-registration is `unverified` until its owner
// uses the emailed link; only then does the approval policy decide (active or pending). Opening
// the link verifies nothing: the page inspects it (checkVerificationToken) and a button sends the
// mutation (verifyEmail), because mail scanners fetch the links in emails.

const ASK_AGAIN = 'You can ask for a new link on the login page.';

function assertUsable(app: AppServices, row: VerifyTokenRow | undefined): asserts row is VerifyTokenRow {
  if (!row) {
    throw new AppError('BAD_REQUEST', 'TOKEN_INVALID', `This verification link is not valid. Make sure you copied the whole link from the email. ${ASK_AGAIN}`);
  }
  if (row.used_at || row.status !== 'unverified') {
    throw new AppError('BAD_REQUEST', 'TOKEN_USED', 'This address has already been verified. You can log in.');
  }
  if (row.revoked_at) {
    throw new AppError(
      'BAD_REQUEST',
      'TOKEN_REVOKED',
      `This verification link has been replaced by a newer one: use the link in the latest email. ${ASK_AGAIN}`,
    );
  }
  if (new Date(row.expires_at).getTime() <= app.clock.now().getTime()) {
    throw new AppError('BAD_REQUEST', 'TOKEN_EXPIRED', `This verification link has expired: links work for ${EMAIL_VERIFY_TTL_HOURS} hours. ${ASK_AGAIN}`);
  }
}

/** For the verification page, before the button is pressed: is the link usable, for which address. Changes nothing. */
export async function checkVerificationToken(app: AppServices, token: string): Promise<{ email: string }> {
  const row = await findVerifyToken(app.em(), hashToken(token));
  assertUsable(app, row);
  return { email: row.email };
}

/**
 * The owner pressed "Verify": the link is claimed atomically (single use), the user is marked
 * verified and the policy decides, with the settings of this moment: active (auto-approve, or a
 * listed domain, unless the sign-up was flagged disposable) or pending. The policy's emails go out
 * and `user.email_verified` is appended, all in one transaction. The caller starts a session when
 * the result is active.
 */
export async function verifyEmail(app: AppServices, token: string): Promise<{ userId: string; status: 'active' | 'pending' }> {
  const tokenHash = hashToken(token);
  return app.em().transactional(async (tx) => {
    const now = app.clock.now();
    const userId = await claimVerifyToken(tx, tokenHash, now);
    if (!userId) {
      assertUsable(app, await findVerifyToken(tx, tokenHash));
      throw new AppError('CONFLICT', 'TOKEN_USED', 'This address has already been verified. You can log in.');
    }
    const locked = await lockUser(tx, userId);
    if (!locked || locked.status !== 'unverified') {
      throw new AppError('BAD_REQUEST', 'TOKEN_USED', 'This address has already been verified. You can log in.');
    }
    const settings = await readSettings(tx);
    const approved = isAutoApproved(settings, locked.email) && !(await registeredAsDisposable(tx, userId));
    const status = approved ? 'active' : 'pending';
    await setVerifiedStatus(tx, userId, status, now);
    await revokeVerifyTokens(tx, userId, now);
    const user = (await loadUserSnapshot(tx, userId))!;
    await announceDecision(app, tx, user, status);
    await appendEvent(tx, 'user.email_verified', { user, autoApproved: approved }, { actorId: userId, userId });
    return { userId, status };
  });
}

/**
 * Sends a new verification link to an unverified registration. The caller learns nothing about
 * the address (the same answer always); callers rate-limit per IP and per address first.
 */
export async function resendVerification(app: AppServices, email: string): Promise<void> {
  await app.em().transactional(async (tx) => {
    const user = await lockUserByEmail(tx, email);
    if (!user || user.status !== 'unverified') return;
    await issueVerificationLink(app, tx, user);
  });
}

const PURGE_BATCH = 500;

/**
 * Deletes unverified registrations older than the "unverified registrations expire after" setting,
 * each with a `user.deleted` event (no actor: the system), so live lists drop them. Returns how
 * many were deleted. Safe to run from several processes at once (rows are claimed with skip locked).
 */
export async function purgeExpiredUnverified(app: AppServices, now: Date, signal?: AbortSignal): Promise<number> {
  const { unverifiedLifetimeDays } = await readSettings(app.em());
  const before = new Date(now.getTime() - unverifiedLifetimeDays * 86_400_000);
  let total = 0;
  for (;;) {
    // Shutdown: stop before the next batch (the rest goes at the next turn).
    if (signal?.aborted) return total;
    const n = await app.em().transactional(async (tx) => {
      const gone = await deleteUnverifiedBefore(tx, before, PURGE_BATCH);
      for (const user of gone) await appendEvent(tx, 'user.deleted', { user }, { actorId: null, userId: user.id });
      return gone.length;
    });
    total += n;
    if (n < PURGE_BATCH) return total;
  }
}
