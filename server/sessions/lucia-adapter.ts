import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia';
import type { MikroORM } from '@mikro-orm/postgresql';
import * as sessions from './sessions.repository.js';

/** Lucia's seven adapter methods over the sessions repository (a fresh fork per call, no shared state). */
export class MikroOrmLuciaAdapter implements Adapter {
  constructor(private readonly orm: MikroORM) {}

  private em() {
    return this.orm.em.fork();
  }

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const found = await sessions.findSessionAndUser(this.em(), sessionId);
    if (!found) return [null, null];
    const { session, user } = found;
    const { id, ...attributes } = user;
    return [{ id: session.id, userId: session.userId, expiresAt: session.expiresAt, attributes: {} }, { id, attributes }];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    return (await sessions.sessionsOfUser(this.em(), userId)).map((s) => ({ ...s, attributes: {} }));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    await sessions.insertSession(this.em(), { id: session.id, userId: session.userId, expiresAt: session.expiresAt });
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    await sessions.updateSessionExpiry(this.em(), sessionId, expiresAt);
  }

  async deleteSession(sessionId: string): Promise<void> {
    await sessions.deleteSession(this.em(), sessionId);
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await sessions.revokeSessionsOfUser(this.em(), userId);
  }

  async deleteExpiredSessions(): Promise<void> {
    await sessions.deleteExpiredSessions(this.em());
  }
}
