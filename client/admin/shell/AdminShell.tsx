import { A, useLocation } from '@solidjs/router';
import { useQuery } from '@tanstack/solid-query';
import { Show, createEffect, createSignal, on, type JSX } from 'solid-js';
import { hardNavigate, useMe } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AdminQueryProvider } from '../query';
import { LiveIndicator } from './LiveIndicator';
import { Loading, ToastDock } from '../../ui';
import { ToastSpace } from '../../ui/toast-space';
import { STATS_KEY } from '../query-keys';
import { useTermsGate } from '../../portal/terms-gate';

/** The admin area's frame: sidebar navigation (a top bar on small screens) and the page. */
export default function AdminShell(props: { children?: JSX.Element }) {
  return (
    <AdminQueryProvider>
      <Shell>{props.children}</Shell>
    </AdminQueryProvider>
  );
}

function Shell(props: { children?: JSX.Element }) {
  const me = useMe();
  const location = useLocation();
  const isAdmin = () => me.data?.user?.role === 'admin';
  // A new version of the terms to accept first (/accept-terms), like a forced password change.
  useTermsGate();
  const stats = useQuery(() => ({
    queryKey: STATS_KEY,
    queryFn: () => trpc.admin.users.stats.query(),
    enabled: isAdmin() && !me.data?.user?.mustChangePassword,
    refetchInterval: 60_000,
  }));

  createEffect(() => {
    if (!me.data) return;
    if (!me.data.user) hardNavigate(`/login?next=${encodeURIComponent(location.pathname)}`);
    else if (me.data.user.mustChangePassword) hardNavigate('/change-password');
    else if (!isAdmin()) hardNavigate('/home');
  });

  const pending = () => stats.data?.byStatus.pending ?? 0;
  // Phones and narrow windows: the navigation folds into a Menu button (styles.css shows the button
  // below 768 px); it closes again when a page is chosen.
  const [menuOpen, setMenuOpen] = createSignal(false);
  createEffect(
    on(
      () => location.pathname,
      () => setMenuOpen(false),
      { defer: true },
    ),
  );

  return (
    <Show when={isAdmin()} fallback={<Loading />}>
      <div class="app-shell">
        <aside class="sidebar" classList={{ 'menu-open': menuOpen() }}>
          <div class="sidebar-brand">
            <a class="wordmark" href="/admin/users">
              Admit
            </a>
            <LiveIndicator />
          </div>
          <button
            type="button"
            class="btn btn-secondary btn-sm menu-toggle"
            aria-expanded={menuOpen()}
            aria-controls="admin-menu"
            data-testid="menu-toggle"
            onClick={() => setMenuOpen((o) => !o)}
          >
            {menuOpen() ? 'Close menu' : 'Menu'}
            <Show when={!menuOpen() && pending() > 0}>
              <span class="nav-count attention" aria-label={`${pending()} pending`}>
                {pending()}
              </span>
            </Show>
          </button>
          <div class="sidebar-menu" id="admin-menu">
            <nav aria-label="Admin">
              <div class="sidebar-section">API Consumers</div>
              <ul class="nav">
                <li>
                  <A class="nav-link" href="/admin/users" activeClass="active">
                    Users
                    <Show when={pending() > 0}>
                      <span class="nav-count attention" aria-label={`${pending()} pending`} data-testid="pending-count">
                        {pending()}
                      </span>
                    </Show>
                  </A>
                </li>
                <li>
                  <A class="nav-link" href="/admin/organisations" activeClass="active">
                    Organisations
                  </A>
                </li>
              </ul>
              <div class="sidebar-section">Portal</div>
              <ul class="nav">
                <li>
                  <A class="nav-link" href="/admin/mailbox" activeClass="active">
                    Mailbox
                  </A>
                </li>
                <li>
                  <A class="nav-link" href="/admin/audit-log" activeClass="active">
                    Audit log
                  </A>
                </li>
                <li>
                  <A class="nav-link" href="/admin/settings" activeClass="active">
                    Settings
                  </A>
                </li>
              </ul>
            </nav>
            <div class="sidebar-footer">
              <span class="truncate" title={me.data?.user?.email}>
                {me.data?.user?.firstName} {me.data?.user?.lastName}
              </span>
              <a class="nav-link" href="/change-password">
                Change password
              </a>
              <a class="nav-link" href="/logout">
                Log out
              </a>
            </div>
          </div>
          {/* Toasts show here, in the sidebar's flow, while the admin area is open: never over the page. */}
          <ToastDock />
          {/* On phones the dock floats over the bottom of the screen: the page makes room for it. */}
          <ToastSpace />
        </aside>
        <main class="app-main" id="main">
          <div class="app-content">{props.children}</div>
        </main>
      </div>
    </Show>
  );
}
