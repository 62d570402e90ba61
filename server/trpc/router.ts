import { router } from './init.js';
import { authRouter } from '../auth/auth.router.js';
import { adminOverviewRouter } from '../admin/admin.router.js';
import { eventsRouter } from '../events/events.router.js';
import { bulkRouter } from '../users/bulk.router.js';
import { usersRouter } from '../users/users.router.js';
import { settingsRouter } from '../settings/settings.router.js';
import { organisationsRouter } from '../organisations/organisations.router.js';
import { userAdminRouter } from '../users/user-admin.router.js';
import { inviteRouter, invitesAdminRouter } from '../invites/invites.router.js';
import { mailRouter } from '../mail/mail.router.js';

/**
 * The whole API, grouped as the admin menu reads: users, invites, organisations, mail, settings,
 * events. Convention: every procedure under `admin` is an adminProcedure; the test
 * `admin-procedures-refuse.test.ts` enumerates them and checks that each refuses non-admins.
 */
export const appRouter = router({
  auth: authRouter,
  invite: inviteRouter,
  admin: router({
    users: router({
      ...usersRouter._def.record,
      ...adminOverviewRouter._def.record,
      ...userAdminRouter._def.record,
      bulk: bulkRouter,
    }),
    invites: invitesAdminRouter,
    organisations: organisationsRouter,
    mail: mailRouter,
    settings: settingsRouter,
    events: eventsRouter,
  }),
});

export type AppRouter = typeof appRouter;
