import { onMount } from 'solid-js';
import { hardNavigate } from '../lib/session';
import { trpc } from '../lib/trpc';
import { Loading } from '../ui';

/** `/logout`: ends the session on the server, then returns to the login page. */
export default function LogoutPage() {
  onMount(() => {
    // Whether or not the server answered, the login page comes next.
    void trpc.auth.logout
      .mutate()
      .catch(() => undefined)
      .finally(() => hardNavigate('/login'));
  });
  return <Loading>Logging out…</Loading>;
}
