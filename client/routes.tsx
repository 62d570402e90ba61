// lazyPage: solid's lazy() that reloads once when a page's code file is gone after a deploy.
import { lazyPage as lazy } from './lazy-page';
import type { RouteDefinition } from '@solidjs/router';
import { EntryRedirect } from './portal/EntryRedirect';
import { LoginPage } from './portal/LoginPage';

// The portal's first pages load eagerly; admin pages load on demand to keep the first visit small.
export const routes: RouteDefinition[] = [
  { path: '/', component: EntryRedirect },
  { path: '/login', component: LoginPage },
  { path: '/setup', component: lazy(() => import('./portal/SetupPage')) },
  { path: '/register', component: lazy(() => import('./portal/RegisterPage')) },
  { path: '/logout', component: lazy(() => import('./portal/LogoutPage')) },
  { path: '/home', component: lazy(() => import('./portal/HomePage')) },
  { path: '/change-password', component: lazy(() => import('./portal/ChangePasswordPage')) },
  { path: '/accept-terms', component: lazy(() => import('./portal/AcceptTermsPage')) },
  { path: '/forgot-password', component: lazy(() => import('./portal/ForgotPasswordPage')) },
  { path: '/reset-password', component: lazy(() => import('./portal/ResetPasswordPage')) },
  { path: '/verify-email', component: lazy(() => import('./portal/VerifyEmailPage')) },
  { path: '/invite', component: lazy(() => import('./portal/AcceptInvitePage')) },
  {
    path: '/admin',
    component: lazy(() => import('./admin/shell/AdminShell')),
    children: [
      { path: '/', component: lazy(() => import('./admin/shell/AdminIndex')) },
      { path: '/users', component: lazy(() => import('./admin/users/UsersPage')) },
      { path: '/users/:id', component: lazy(() => import('./admin/users/UserDetailPage')) },
      { path: '/organisations', component: lazy(() => import('./admin/organisations/OrganisationsPage')) },
      { path: '/mailbox', component: lazy(() => import('./admin/mail/MailboxPage')) },
      { path: '/audit-log', component: lazy(() => import('./admin/audit/AuditLogPage')) },
      {
        path: '/settings',
        component: lazy(() => import('./admin/settings/SettingsPage')),
        children: [
          { path: '/', component: lazy(() => import('./admin/settings/GeneralSettingsPage')) },
          { path: '/emails', component: lazy(() => import('./admin/settings/EmailSettingsPage')) },
          { path: '/sessions', component: lazy(() => import('./admin/settings/SessionSettingsPage')) },
          { path: '/security', component: lazy(() => import('./admin/settings/SecuritySettingsPage')) },
          { path: '/registration-form', component: lazy(() => import('./admin/settings/RegistrationFormPage')) },
          { path: '/terms', component: lazy(() => import('./admin/settings/TermsPage')) },
          { path: '/webhooks', component: lazy(() => import('./admin/settings/WebhooksPage')) },
          { path: '/webhooks/:id', component: lazy(() => import('./admin/settings/WebhookDetailPage')) },
          { path: '/api-tokens', component: lazy(() => import('./admin/settings/ApiTokensPage')) },
        ],
      },
    ],
  },
  { path: '*404', component: lazy(() => import('./portal/NotFoundPage')) },
];
