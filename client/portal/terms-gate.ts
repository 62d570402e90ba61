import { createEffect, createResource } from 'solid-js';
import { hardNavigate, useMe } from '../lib/session';
import { trpc } from '../lib/trpc';

/**
 * A page behind login asks once whether the user must accept a new version of the terms
 * (Settings › Terms, "must re-accept"); if so, /accept-terms comes first, as /change-password
 * does for a forced password change. The server refuses everything else meanwhile
 * (TERMS_ACCEPTANCE_REQUIRED), so this is only the way there.
 */
export function useTermsGate() {
  const me = useMe();
  const [current] = createResource(
    () => (me.data?.user && !me.data.user.mustChangePassword ? me.data.user.id : false),
    () => trpc.auth.terms.current.query(),
  );
  createEffect(() => {
    if (current()?.mustAccept) hardNavigate(`/accept-terms?next=${encodeURIComponent(window.location.pathname)}`);
  });
  return current;
}
