import { router } from './init.js';
import { authRouter } from '../auth/auth.router.js';
import { eventsRouter } from '../events/events.router.js';
import { apiTokensRouter } from '../api-tokens/api-tokens.router.js';
import { usersRouter } from '../users/users.router.js';
import { inviteRouter, invitesAdminRouter } from '../users/invites.router.js';
import { generalSettingsRouter } from '../settings/general-settings.router.js';
import { sessionSettingsRouter } from '../settings/session-settings.router.js';
import { securitySettingsRouter } from '../settings/security-settings.router.js';
import { retentionSettingsRouter } from '../settings/retention-settings.router.js';
import { emailSettingsRouter } from '../mail/email-settings.router.js';
import { organisationsRouter } from '../organisations/organisations.router.js';
import { mailRouter } from '../mail/mail.router.js';
import { registrationFormRouter } from '../settings/registration-form.router.js';
import { termsAdminRouter } from '../terms/terms.router.js';
import { auditRouter } from '../audit/audit.router.js';
import { privacyRouter } from '../privacy/privacy.router.js';
import { webhooksRouter } from '../webhooks/webhooks.router.js';
import { preferencesRouter } from '../users/preferences.router.js';
import { accountRouter } from '../users/account.router.js';

/**
 * The whole API, grouped as the admin menu reads: users, invites, organisations, mail, settings,
 * events. Convention: every procedure under `admin` is an adminProcedure; the test
 * `admin-procedures-refuse.test.ts` enumerates them and checks that each refuses non-admins.
 */
export const appRouter = router({
  auth: authRouter,
  /** The signed-in person's own account (developer home): details, name change. */
  account: accountRouter,
  invite: inviteRouter,
  admin: router({
    users: usersRouter,
    invites: invitesAdminRouter,
    organisations: organisationsRouter,
    mail: mailRouter,
    /** One sub-router per Settings tab. */
    settings: router({
      general: generalSettingsRouter,
      emails: emailSettingsRouter,
      sessions: sessionSettingsRouter,
      /** Settings › API tokens: the signed-in admin's personal tokens for the REST API. */
      apiTokens: apiTokensRouter,
      security: securitySettingsRouter,
      retention: retentionSettingsRouter,
      registrationForm: registrationFormRouter,
      terms: termsAdminRouter,
      webhooks: webhooksRouter,
    }),
    events: eventsRouter,
    /** Portal › Audit log. */
    audit: auditRouter,
    /** A person's data: Forget (erasure) and Export (access request). */
    privacy: privacyRouter,
    /** The signed-in admin's own preferences. */
    preferences: preferencesRouter,
  }),
});

export type AppRouter = typeof appRouter;
