import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { generateToken, hashToken } from '../security/tokens.js';
import { hashPassword } from '../security/password.js';
import { checkNewPassword } from '../settings/session-settings.service.js';
import { revokeSessionsOfUser } from '../sessions/sessions.repository.js';
import { loadUserSnapshot, lockUser, lockUserByEmail, setPassword } from '../users/users.repository.js';
import { PASSWORD_RESET_TTL_MINUTES } from '../../shared/schemas/password-reset.js';

const ASK_AGAIN = 'You can ask for a new link below.';

// Every request answers after at least this long, whether or not the address has an account, so
// response time does not tell the two apart (the work itself takes a few milliseconds more for a
// real account).
export const RESET_REQUEST_MIN_MS = 150;

/**
 * Someone asks for a reset link. Whatever the address, the caller learns nothing: the answer is
 * the same and comes after at least RESET_REQUEST_MIN_MS. Only an active account gets an email. A new link replaces any earlier
 * unused one. The raw token exists only in the queued email's variables, which the mail worker
 * removes once the email is sent; the database keeps its SHA-256.
 */
export async function requestPasswordReset(app: AppServices, email: string): Promise<void> {
  const started = performance.now();
  try {
    await issueResetLink(app, email);
  } finally {
    const wait = RESET_REQUEST_MIN_MS - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

async function issueResetLink(app: AppServices, email: string): Promise<void> {
  await app.em().transactional(async (tx) => {
    const user = await lockUserByEmail(tx, email);
    if (!user || user.status !== 'active') return;

    const now = app.clock.now();
    await tx.execute(`update auth_token set revoked_at = ? where user_id = ? and purpose = 'password_reset' and used_at is null and revoked_at is null`, [
      now,
      user.id,
    ]);
    const token = generateToken();
    const tokenId = randomUUID();
    await tx.execute(`insert into auth_token (id, user_id, purpose, token_hash, expires_at, created_at) values (?, ?, 'password_reset', ?, ?, ?)`, [
      tokenId,
      user.id,
      hashToken(token),
      new Date(now.getTime() + PASSWORD_RESET_TTL_MINUTES * 60_000),
      now,
    ]);
    const outboxId = await queueEmail(
      tx,
      'password-reset',
      user.email,
      {
        firstName: user.firstName,
        // In the fragment: browsers never send it to servers or proxies; the page posts it.
        resetUrl: `${app.publicUrl()}/reset-password#token=${encodeURIComponent(token)}`,
        expiresInMinutes: PASSWORD_RESET_TTL_MINUTES,
      },
      { userId: user.id },
    );
    await tx.execute(`update auth_token set outbox_id = ? where id = ?`, [outboxId, tokenId]);
  });
}

interface TokenRow {
  id: string;
  user_id: string;
  email: string;
  status: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

async function findToken(em: EntityManager, token: string): Promise<TokenRow | undefined> {
  const rows = await em.execute<TokenRow[]>(
    `select t.id, t.user_id, u.email, u.status, t.expires_at, t.used_at, t.revoked_at
       from auth_token t join app_user u on u.id = t.user_id
      where t.token_hash = ? and t.purpose = 'password_reset'`,
    [hashToken(token)],
  );
  return rows[0];
}

/** Throws the message a person holding this link should see, or returns when the link is usable. */
function assertUsable(app: AppServices, row: TokenRow | undefined): asserts row is TokenRow {
  if (!row) {
    throw new AppError('BAD_REQUEST', 'TOKEN_INVALID', `This reset link is not valid. Make sure you copied the whole link from the email. ${ASK_AGAIN}`);
  }
  if (row.used_at) {
    throw new AppError('BAD_REQUEST', 'TOKEN_USED', `This reset link has already been used. Each link works only once. ${ASK_AGAIN}`);
  }
  if (row.revoked_at) {
    throw new AppError('BAD_REQUEST', 'TOKEN_REVOKED', `This reset link has been replaced by a newer one, or the password was changed since. ${ASK_AGAIN}`);
  }
  if (new Date(row.expires_at).getTime() <= app.clock.now().getTime()) {
    throw new AppError('BAD_REQUEST', 'TOKEN_EXPIRED', `This reset link has expired: links work for ${PASSWORD_RESET_TTL_MINUTES} minutes. ${ASK_AGAIN}`);
  }
  if (row.status !== 'active') {
    throw new AppError('BAD_REQUEST', 'TOKEN_INVALID', 'This account cannot be reset. Please contact the portal administrator.');
  }
}

/** For the reset page: is the link usable, and for which address. */
export async function checkResetToken(app: AppServices, token: string): Promise<{ email: string }> {
  const row = await findToken(app.em(), token);
  assertUsable(app, row);
  return { email: row.email };
}

/**
 * Sets the new password with a reset link. The token is claimed by one conditional UPDATE, so two
 * submissions of the same link cannot both succeed. Every session of the user ends, other reset
 * links die, "password changed" is queued and `user.password_changed` appended, in one transaction.
 * The caller then logs the person in (a fresh session).
 */
export async function completePasswordReset(app: AppServices, input: { token: string; password: string }): Promise<{ userId: string }> {
  // Cheap refusal first: no password hashing for a dead link.
  assertUsable(app, await findToken(app.em(), input.token));
  await checkNewPassword(app.em(), input.password);
  const passwordHash = await hashPassword(input.password);

  return app.em().transactional(async (tx) => {
    const now = app.clock.now();
    const claimed = await tx.execute<{ id: string; user_id: string }[]>(
      `update auth_token set used_at = ?
        where token_hash = ? and purpose = 'password_reset' and used_at is null and revoked_at is null and expires_at > ?
        returning id, user_id`,
      [now, hashToken(input.token), now],
    );
    if (!claimed[0]) {
      // Lost a race with another use of the same link (or it expired meanwhile): say which.
      assertUsable(app, await findToken(tx, input.token));
      throw new AppError('CONFLICT', 'TOKEN_USED', `This reset link has already been used. ${ASK_AGAIN}`);
    }
    const userId = claimed[0].user_id;
    const user = await lockUser(tx, userId);
    if (!user || user.status !== 'active') {
      throw new AppError('BAD_REQUEST', 'TOKEN_INVALID', 'This account cannot be reset. Please contact the portal administrator.');
    }
    await setPassword(tx, userId, passwordHash, now);
    await tx.execute(`update auth_token set revoked_at = ? where user_id = ? and purpose = 'password_reset' and used_at is null and revoked_at is null`, [
      now,
      userId,
    ]);
    await revokeSessionsOfUser(tx, userId);
    const base = app.publicUrl();
    await queueEmail(
      tx,
      'password-changed',
      user.email,
      { firstName: user.firstName, loginUrl: `${base}/login`, resetUrl: `${base}/forgot-password` },
      { userId },
    );
    const snapshot = (await loadUserSnapshot(tx, userId))!;
    await appendEvent(tx, 'user.password_changed', { user: snapshot, via: 'reset' }, { actorId: userId, userId });
    return { userId };
  });
}
