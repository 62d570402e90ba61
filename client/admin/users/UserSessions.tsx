import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Show, createSignal } from 'solid-js';
import type { SessionInfo } from '../../../shared/schemas/sessions';
import { errorMessage, trpc } from '../../lib/trpc';
import { SessionList } from '../../portal/account/SessionList';
import { Button, FormError, Loading, toast } from '../../ui';
import { userKey } from '../query-keys';

const userSessionsKey = (id: string) => [...userKey(id), 'sessions'] as const;

/** The user page's "Sessions" card: where this user is signed in; an admin ends one or all. */
export function UserSessions(props: { userId: string }) {
  const queryClient = useQueryClient();
  const sessions = useQuery(() => ({
    queryKey: userSessionsKey(props.userId),
    queryFn: () => trpc.admin.users.sessions.list.query({ userId: props.userId }).then((r) => r.sessions),
  }));
  const [ending, setEnding] = createSignal<string | null>(null);
  const [endingAll, setEndingAll] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: userSessionsKey(props.userId) });

  const end = async (s: SessionInfo) => {
    setEnding(s.id);
    setError(null);
    try {
      await trpc.admin.users.sessions.revoke.mutate({ userId: props.userId, sessionId: s.id });
      toast(`Ended the session on ${s.device}`, 'success');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setEnding(null);
      await refresh();
    }
  };

  const endAll = async () => {
    setEndingAll(true);
    setError(null);
    try {
      const { ended } = await trpc.admin.users.sessions.revokeAll.mutate({ userId: props.userId });
      toast(ended === 1 ? 'Ended 1 session' : `Ended ${ended} sessions`, 'success');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setEndingAll(false);
      await refresh();
    }
  };

  return (
    <section class="card" aria-labelledby="user-sessions-title">
      <div class="card-header">
        <h2 id="user-sessions-title">Sessions</h2>
        <Show when={(sessions.data?.length ?? 0) > 0}>
          <Button small variant="danger" busy={endingAll()} onClick={() => void endAll()}>
            End all
          </Button>
        </Show>
      </div>
      <FormError message={error() ?? (sessions.isError ? errorMessage(sessions.error) : null)} />
      <Show when={sessions.data} fallback={<Loading />}>
        {(list) => <SessionList sessions={list()} ending={ending()} onEnd={(s) => void end(s)} empty="This user is not signed in anywhere." />}
      </Show>
    </section>
  );
}
