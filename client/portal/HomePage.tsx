import { Show, createEffect } from 'solid-js';
import { hardNavigate, useMe } from '../lib/session';
import { Loading } from '../ui';
import { useToastSpace } from '../ui/toast-space';
import { AccountCard } from './account/AccountCard';
import { SessionsCard } from './account/SessionsCard';
import { useTermsGate } from './terms-gate';

/** A developer's home after logging in. */
export default function HomePage() {
  const me = useMe();
  useTermsGate();
  // Toasts (a saved name, an ended session) float over the bottom of a phone's screen: room for them.
  useToastSpace();
  createEffect(() => {
    if (me.data && !me.data.user) hardNavigate('/login?next=/home');
    else if (me.data?.user?.mustChangePassword) hardNavigate('/change-password');
  });
  return (
    <Show when={me.data?.user} fallback={<Loading />}>
      {(user) => (
        <div class="portal-page">
          <header class="topbar">
            <a class="wordmark" href="/">
              Admit
            </a>
            <span class="spacer" />
            <Show when={user().role === 'admin'}>
              <a class="btn btn-ghost btn-sm" href="/admin/users">
                Admin
              </a>
            </Show>
            <a class="btn btn-secondary btn-sm" href="/logout">
              Log out
            </a>
          </header>
          <main class="app-content narrow portal-main" id="main">
            <h1>Welcome, {user().firstName}</h1>
            <p class="muted">
              You are signed in to {me.data?.portalName} as {user().email}.
            </p>
            <AccountCard />
            <SessionsCard />
          </main>
        </div>
      )}
    </Show>
  );
}
