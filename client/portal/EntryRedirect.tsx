import { Navigate } from '@solidjs/router';
import { Match, Switch } from 'solid-js';
import { useMe } from '../lib/session';
import { FormError, Loading } from '../ui';
import { errorMessage } from '../lib/trpc';

/** `/`: sends each visitor where they belong. */
export function EntryRedirect() {
  const me = useMe();
  return (
    <Switch fallback={<Loading />}>
      <Match when={me.isError}>
        <main class="auth-page">
          <FormError message={errorMessage(me.error)} />
        </main>
      </Match>
      <Match when={me.data?.needsSetup}>
        <Navigate href="/setup" />
      </Match>
      <Match when={me.data && !me.data.user}>
        <Navigate href="/login" />
      </Match>
      <Match when={me.data?.user?.mustChangePassword}>
        <Navigate href="/change-password" />
      </Match>
      <Match when={me.data?.user?.role === 'admin'}>
        <Navigate href="/admin/users" />
      </Match>
      <Match when={me.data?.user}>
        <Navigate href="/home" />
      </Match>
    </Switch>
  );
}
