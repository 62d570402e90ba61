import { Lucia, TimeSpan } from 'lucia';
import type { MikroORM } from '@mikro-orm/postgresql';
import { SESSION_COOKIE, type UserRole, type UserStatus } from '../../shared/constants.js';
import { MikroOrmLuciaAdapter } from './lucia-adapter.js';

export function createLucia(orm: MikroORM, secure: boolean) {
  return new Lucia(new MikroOrmLuciaAdapter(orm), {
    sessionExpiresIn: new TimeSpan(14, 'd'),
    sessionCookie: {
      name: SESSION_COOKIE,
      expires: true,
      attributes: { secure, sameSite: 'lax', path: '/' },
    },
    getUserAttributes: (a) => ({
      email: a.email,
      firstName: a.firstName,
      lastName: a.lastName,
      role: a.role,
      status: a.status,
      mustChangePassword: a.mustChangePassword,
    }),
  });
}

export type AppLucia = ReturnType<typeof createLucia>;

declare module 'lucia' {
  interface Register {
    Lucia: AppLucia;
    DatabaseUserAttributes: {
      email: string;
      firstName: string;
      lastName: string;
      role: UserRole;
      status: UserStatus;
      mustChangePassword: boolean;
    };
  }
}
