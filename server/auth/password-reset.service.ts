import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { loadUserSnapshot } from '../users/users.snapshot.js';
import { generateToken, hashToken } from '../security/tokens.js';
import { hashPassword } from './password.js';
import { PASSWORD_RESET_TTL_MINUTES } from '../../shared/schemas/password-reset.js';

const ASK_AGAIN = 'You can ask for a new link below.';

/**
 * Someone asks for a reset link. Whatever the address, the caller learns nothing (the router
 * answers the same way): only an active account gets an email. A new link replaces any earlier
 * unused one. The raw token exists only in the queued email's variables, which the mail worker
 * removes once the email is sent; the database keeps its SHA-256.
 */
export async function requestPasswordReset(app: AppServices, email: string): Promise<void> {
  await app.em().transactional(async (tx) => {
    const rows = await tx.execute<{ id: string; email: string; first_name: string; status: string }[]>(
      `select id, email, first_name, status from app_user where lower(email) = lower(?) for update`,
      [email],
    );
    const user = rows[0];
    if (!user || user.status !== 'active') return;

    const now = app.clock.now();
    await tx.execute(
      `update auth_token set revoked_at = ? where user_id = ? and purpose = 'password_reset' and used_at is null and revoked_at is null`,
      [now, user.id],
    );
    const token = generateToken();
    const tokenId = randomUUID();
    await tx.execute(
      `insert into auth_token (id, user_id, purpose, token_hash, expires_at, created_at) values (?, ?, 'password_reset', ?, ?, ?)`,
      [tokenId, user.id, hashToken(token), new Date(now.getTime() + PASSWORD_RESET_TTL_MINUTES * 60_000), now],
    );
    const outboxId = await queueEmail(
      tx,
      'password-reset',
      user.email,
      {
        firstName: user.first_name,
        resetUrl: `${app.publicUrl()}/reset-password?token=${encodeURIComponent(token)}`,
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
 * Then a fresh session logs the person in.
 */
export async function completePasswordReset(
  app: AppServices,
  input: { token: string; password: string },
): Promise<{ userId: string; sessionId: string; cookie: string }> {
  // Cheap refusal first: no password hashing for a dead link.
  assertUsable(app, await findToken(app.em(), input.token));
  const passwordHash = await hashPassword(input.password);

  const userId = await app.em().transactional(async (tx) => {
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
    const users = await tx.execute<{ email: string; first_name: string; status: string }[]>(
      `select email, first_name, status from app_user where id = ? for update`,
      [userId],
    );
    const user = users[0];
    if (!user || user.status !== 'active') {
      throw new AppError('BAD_REQUEST', 'TOKEN_INVALID', 'This account cannot be reset. Please contact the portal administrator.');
    }
    await tx.execute(
      `update app_user set password_hash = ?, must_change_password = false, updated_at = ?, version = version + 1 where id = ?`,
      [passwordHash, now, userId],
    );
    await tx.execute(
      `update auth_token set revoked_at = ? where user_id = ? and purpose = 'password_reset' and used_at is null and revoked_at is null`,
      [now, userId],
    );
    await tx.execute(`delete from user_session where user_id = ?`, [userId]);
    const base = app.publicUrl();
    await queueEmail(tx, 'password-changed', user.email, { firstName: user.first_name, loginUrl: `${base}/login`, resetUrl: `${base}/forgot-password` }, { userId });
    const snapshot = (await loadUserSnapshot(tx, userId))!;
    await appendEvent(tx, 'user.password_changed', { user: snapshot, via: 'reset' }, { actorId: userId, userId });
    return userId;
  });

  const session = await app.lucia.createSession(userId, {});
  return { userId, sessionId: session.id, cookie: app.lucia.createSessionCookie(session.id).serialize() };
}
