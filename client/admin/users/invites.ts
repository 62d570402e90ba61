import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { createSignal } from 'solid-js';
import type { UserStatus } from '../../../shared/constants';
import type { InvitesForUser } from '../../../shared/schemas/invites';
import { errorMessage, trpc } from '../../lib/trpc';
import { toast } from '../../ui';
import { invitesKey, userKey } from '../query-keys';
import type { EditableUser } from './EditUserDialog';

// A user's invites, shared by the invite panel and the "More options" menu on the user's page.

export interface InviteUser extends EditableUser {
  email: string;
  status: UserStatus;
  hasPassword: boolean;
}

/** The user's invites: the latest (with its delivery) and the earlier ones. */
export function useInvites(userId: () => string) {
  return useQuery(() => ({
    queryKey: invitesKey(userId()),
    queryFn: () => trpc.admin.invites.forUser.query({ userId: userId() }),
    // While the email waits in the outbox, look again until it is delivered or given up.
    refetchInterval: (q: { state: { data?: InvitesForUser } }) => (q.state.data?.latest?.delivery?.status === 'pending' ? 2000 : false),
  }));
}

type InviteAction = 'send' | 'resend' | 'revoke';

/** Send, resend or revoke the invite; every outcome refreshes the user's page. */
export function useInviteActions(user: () => InviteUser) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = createSignal<InviteAction | null>(null);
  const labels: Record<InviteAction, string> = {
    send: 'Invite sent',
    resend: 'A new invite was sent; the previous link no longer works',
    revoke: 'Invite revoked; the link no longer works',
  };
  async function run(action: InviteAction): Promise<boolean> {
    setBusy(action);
    try {
      await trpc.admin.invites[action].mutate({ userId: user().id });
      toast(labels[action], 'success');
      return true;
    } catch (e) {
      toast(errorMessage(e), 'error');
      return false;
    } finally {
      setBusy(null);
      await queryClient.invalidateQueries({ queryKey: userKey(user().id) });
    }
  }
  return { busy, run };
}
