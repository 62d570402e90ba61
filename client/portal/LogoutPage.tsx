import { onMount } from 'solid-js';
import { hardNavigate } from '../lib/session';
import { trpc } from '../lib/trpc';
import { Loading } from '../ui';

/** `/logout`: ends the session on the server, then returns to the login page. */
export default function LogoutPage() {
  onMount(async () => {
    try {
      await trpc.auth.logout.mutate();
    } finally {
      hardNavigate('/login');
    }
  });
  return <Loading>Logging out…</Loading>;
}
