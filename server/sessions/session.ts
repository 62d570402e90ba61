import type { AppServices } from '../app-services.js';

/** The part of a request a session is started or ended on (a tRPC context has it). */
export interface SessionCarrier {
  app: AppServices;
  /** The session id this browser sent, if any. */
  sessionId: string | null;
  setCookie(cookie: string): void;
}

/**
 * Logs this browser in as `userId` on a brand-new session, replacing whatever session it had
 * (perhaps someone else's), and sets the cookie.
 */
export async function startSession(ctx: SessionCarrier, userId: string): Promise<void> {
  await endCurrentSession(ctx);
  const session = await ctx.app.lucia.createSession(userId, {});
  ctx.setCookie(ctx.app.lucia.createSessionCookie(session.id).serialize());
}

/** Ends the session this browser sent, if any (without touching the cookie). */
export async function endCurrentSession(ctx: SessionCarrier): Promise<void> {
  if (ctx.sessionId) await ctx.app.lucia.invalidateSession(ctx.sessionId);
}

/** Logout: ends the session and clears the cookie. */
export async function endSession(ctx: SessionCarrier): Promise<void> {
  await endCurrentSession(ctx);
  ctx.setCookie(ctx.app.lucia.createBlankSessionCookie().serialize());
}
