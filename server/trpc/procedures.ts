import { TRPCError } from '@trpc/server';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { AppError } from '../errors.js';
import type { Context } from './context.js';
import { middleware, publicBase } from './init.js';
import { countRateLimitRefusal } from '../metrics.js';
import { REAUTH_WINDOW_MS } from '../../shared/schemas/reauth.js';

export interface AuthState {
  /** The stored session id (SHA-256 of the cookie's token). */
  sessionId: string;
  user: SessionUser;
  /** When this session last proved the password (login or auth.confirmPassword); null if never (an emailed link). */
  passwordCheckedAt: Date | null;
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
      auth = { sessionId: valid.session.id, user: valid.user satisfies SessionUser, passwordCheckedAt: valid.session.passwordCheckedAt };
      if (valid.fresh && ctx.transport === 'http') ctx.setCookie(ctx.app.sessions.cookie(ctx.sessionToken, valid.session));
    } else if (ctx.transport === 'http') {
      ctx.setCookie(ctx.app.sessions.blankCookie());
    }
  }
  return next({ ctx: { auth } });
});

export const publicProcedure = publicBase.use(resolveAuth);

// The terms gate (Settings › Terms, "must re-accept"): the newest version published with the flag
// is not accepted by this user, nor any later one. The same condition as terms/terms.repository.ts's
// TERMS_GATE_SQL (not imported: trpc/ imports no domain folder, which would close a folder cycle).
const TERMS_GATE = `select exists (
  select 1 from terms_version r
   where r.id = (select max(id) from terms_version where must_reaccept)
     and not exists (select 1 from terms_acceptance a where a.user_id = ? and a.version_id >= r.id)) as required`;

async function enforceTermsGate(ctx: Pick<Context, 'app'>, userId: string, allowed: boolean | undefined): Promise<void> {
  if (allowed) return;
  const rows = await ctx.app.em().execute<{ required: boolean }[]>(TERMS_GATE, [userId]);
  if (rows[0]?.required) {
    throw new AppError('FORBIDDEN', 'TERMS_ACCEPTANCE_REQUIRED', 'Please accept the updated terms before continuing');
  }
}

export const authedProcedure = publicProcedure.use(async ({ ctx, meta, next }) => {
  if (!ctx.auth) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Please log in' });
  if (ctx.auth.user.mustChangePassword && !meta?.allowWhilePasswordChangeRequired) {
    throw new AppError('FORBIDDEN', 'PASSWORD_CHANGE_REQUIRED', 'You must change your password before continuing');
  }
  await enforceTermsGate(ctx, ctx.auth.user.id, meta?.allowWhileTermsAcceptanceRequired);
  return next({ ctx: { auth: ctx.auth } });
});

/** Fails closed: anyone but an active admin gets FORBIDDEN (anonymous callers too). */
export const adminProcedure = publicProcedure.use(async ({ ctx, meta, next }) => {
  const user = ctx.auth?.user;
  if (!ctx.auth || !user || user.role !== 'admin' || user.status !== 'active') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Administrators only' });
  }
  if (user.mustChangePassword && !meta?.allowWhilePasswordChangeRequired) {
    throw new AppError('FORBIDDEN', 'PASSWORD_CHANGE_REQUIRED', 'You must change your password before continuing');
  }
  await enforceTermsGate(ctx, user.id, meta?.allowWhileTermsAcceptanceRequired);
  return next({ ctx: { auth: ctx.auth } });
});

/**
 * An adminProcedure for sensitive changes (creating an API token or a webhook, changing settings):
 * the session must have proved the password within the last 10 minutes (REAUTH_WINDOW_MS), or the
 * call is refused with FORBIDDEN and reason REAUTH_REQUIRED. The client (client/lib/reauth.ts) then
 * asks for the password, calls auth.confirmPassword and retries. Measured on the app clock.
 */
export const recentAuthAdminProcedure = adminProcedure.use(async ({ ctx, next }) => {
  const checkedAt = ctx.auth.passwordCheckedAt;
  if (!checkedAt || ctx.app.clock.now().getTime() - checkedAt.getTime() > REAUTH_WINDOW_MS) {
    throw new AppError('FORBIDDEN', 'REAUTH_REQUIRED', 'Please confirm your password to continue', {
      details: { reauthWindowMinutes: REAUTH_WINDOW_MS / 60_000 },
    });
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
