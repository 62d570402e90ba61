import { TRPCError } from '@trpc/server';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { AppError } from '../errors.js';
import { middleware, publicBase } from './init.js';
import { countRateLimitRefusal } from '../metrics.js';

export interface AuthState {
  /** The stored session id (SHA-256 of the cookie's token). */
  sessionId: string;
  user: SessionUser;
}

/**
 * Validates the session on every call (HTTP request or WebSocket message alike), so a session
 * revoked a moment ago stops working at once, on every open connection.
 */
const resolveAuth = middleware(async ({ ctx, next }) => {
  let auth: AuthState | null = null;
  if (ctx.sessionToken) {
    const valid = await ctx.app.sessions.validate(ctx.sessionToken);
    if (valid && valid.user.status === 'active') {
      auth = { sessionId: valid.session.id, user: valid.user satisfies SessionUser };
      if (valid.fresh && ctx.transport === 'http') ctx.setCookie(ctx.app.sessions.cookie(ctx.sessionToken, valid.session));
    } else if (ctx.transport === 'http') {
      ctx.setCookie(ctx.app.sessions.blankCookie());
    }
  }
  return next({ ctx: { auth } });
});

export const publicProcedure = publicBase.use(resolveAuth);

export const authedProcedure = publicProcedure.use(({ ctx, meta, next }) => {
  if (!ctx.auth) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Please log in' });
  if (ctx.auth.user.mustChangePassword && !meta?.allowWhilePasswordChangeRequired) {
    throw new AppError('FORBIDDEN', 'PASSWORD_CHANGE_REQUIRED', 'You must change your password before continuing');
  }
  return next({ ctx: { auth: ctx.auth } });
});

/** Fails closed: anyone but an active admin gets FORBIDDEN (anonymous callers too). */
export const adminProcedure = publicProcedure.use(({ ctx, meta, next }) => {
  const user = ctx.auth?.user;
  if (!ctx.auth || !user || user.role !== 'admin' || user.status !== 'active') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Administrators only' });
  }
  if (user.mustChangePassword && !meta?.allowWhilePasswordChangeRequired) {
    throw new AppError('FORBIDDEN', 'PASSWORD_CHANGE_REQUIRED', 'You must change your password before continuing');
  }
  return next({ ctx: { auth: ctx.auth } });
});

/** Counts one attempt against a limiter (shared by every process, see security/rate-limit.ts); throws TOO_MANY_REQUESTS when over. Call before any work. */
export async function enforceRateLimit(limiter: { hit(key: string): Promise<number> }, key: string): Promise<void> {
  const wait = await limiter.hit(key);
  if (wait > 0) {
    countRateLimitRefusal(limiter);
    const minutes = Math.max(1, Math.ceil(wait / 60_000));
    throw new AppError('TOO_MANY_REQUESTS', 'RATE_LIMITED', `Too many attempts. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }
}
