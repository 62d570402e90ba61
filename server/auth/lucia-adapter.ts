import type { Adapter, DatabaseSession, DatabaseUser } from 'lucia';
import type { MikroORM } from '@mikro-orm/postgresql';

interface SessionRow {
  id: string;
  user_id: string;
  expires_at: Date;
}
interface UserRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: 'admin' | 'developer';
  status: 'pending' | 'active' | 'rejected' | 'inactive' | 'invited';
  must_change_password: boolean;
}

/** Lucia's seven adapter methods over MikroORM's connection (a fresh fork per call, no shared state). */
export class MikroOrmLuciaAdapter implements Adapter {
  constructor(private readonly orm: MikroORM) {}

  private exec<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.orm.em.fork().getConnection().execute<T[]>(sql, params as any[]);
  }

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const rows = await this.exec<SessionRow & UserRow & { session_id: string }>(
      `select s.id as session_id, s.expires_at, u.id, u.email, u.first_name, u.last_name, u.role, u.status, u.must_change_password
         from user_session s join app_user u on u.id = s.user_id where s.id = ?`,
      [sessionId],
    );
    const r = rows[0];
    if (!r) return [null, null];
    return [
      { id: r.session_id, userId: r.id, expiresAt: new Date(r.expires_at), attributes: {} },
      {
        id: r.id,
        attributes: {
          email: r.email,
          firstName: r.first_name,
          lastName: r.last_name,
          role: r.role,
          status: r.status,
          mustChangePassword: r.must_change_password,
        },
      },
    ];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.exec<SessionRow>(`select id, user_id, expires_at from user_session where user_id = ?`, [userId]);
    return rows.map((r) => ({ id: r.id, userId: r.user_id, expiresAt: new Date(r.expires_at), attributes: {} }));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    await this.exec(`insert into user_session (id, user_id, expires_at, created_at) values (?, ?, ?, now())`, [
      session.id,
      session.userId,
      session.expiresAt,
    ]);
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    await this.exec(`update user_session set expires_at = ? where id = ?`, [expiresAt, sessionId]);
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.exec(`delete from user_session where id = ?`, [sessionId]);
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.exec(`delete from user_session where user_id = ?`, [userId]);
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.exec(`delete from user_session where expires_at <= now()`);
  }
}
