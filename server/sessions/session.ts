import type { AppServices } from '../app-services.js';
import { sessionIdOf } from './session-store.js';

/** The part of a request a session is started or ended on (a tRPC context has it). */
export interface SessionCarrier {
  app: AppServices;
  /** The session token this browser sent in its cookie, if any. */
  sessionToken: string | null;
  ip: string;
  userAgent: string;
  setCookie(cookie: string): void;
}

/**
 * Logs this browser in as `userId` on a brand-new session, replacing whatever session it had
 * (perhaps someone else's), and sets the cookie. Called only after the credentials were accepted:
 * a failed attempt leaves the browser's session as it was.
 */
export async function startSession(ctx: SessionCarrier, userId: string, opts: { passwordChecked?: boolean } = {}): Promise<void> {
  await endCurrentSession(ctx);
  const { token, session } = await ctx.app.sessions.create(userId, { ip: ctx.ip, userAgent: ctx.userAgent, passwordChecked: opts.passwordChecked !== false });
  ctx.sessionToken = token;
  ctx.setCookie(ctx.app.sessions.cookie(token, session));
}

/** Ends the session this browser sent, if any (without touching the cookie). */
export async function endCurrentSession(ctx: SessionCarrier): Promise<void> {
  if (ctx.sessionToken) await ctx.app.sessions.invalidate(sessionIdOf(ctx.sessionToken));
}

/** Logout: ends the session and clears the cookie. */
export async function endSession(ctx: SessionCarrier): Promise<void> {
  await endCurrentSession(ctx);
  ctx.setCookie(ctx.app.sessions.blankCookie());
}
