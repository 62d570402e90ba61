import * as z from 'zod/mini';

/** One signed-in browser or device, as its owner (auth.sessions.list) or an admin (admin.users.sessions.list) sees it. */
export const sessionInfoSchema = z.object({
  /** The stored session id (the SHA-256 of the cookie's token, never the token itself). */
  id: z.string(),
  /** The user agent summarised ("Firefox on Windows"). */
  device: z.string(),
  userAgent: z.string(),
  ip: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  /** The session this request came with ("this device"). */
  current: z.boolean(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const sessionListOutput = z.object({ sessions: z.array(sessionInfoSchema) });
export type SessionListOutput = z.infer<typeof sessionListOutput>;

const sessionIdSchema = z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'Invalid session id' }));
const userIdSchema = z.uuid({ error: 'Invalid id' });

export const sessionIdInput = z.object({ sessionId: sessionIdSchema });
export const userSessionsInput = z.object({ userId: userIdSchema });
export const userSessionInput = z.object({ userId: userIdSchema, sessionId: sessionIdSchema });

export const sessionsEndedOutput = z.object({ ok: z.literal(true), ended: z.int() });
export type SessionsEndedOutput = z.infer<typeof sessionsEndedOutput>;
