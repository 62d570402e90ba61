import { Show, createResource, createSignal } from 'solid-js';
import type { SessionInfo } from '../../../shared/schemas/sessions';
import { hardNavigate } from '../../lib/session';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, FormError, Loading, toast } from '../../ui';
import { SessionList } from './SessionList';

/** "Sessions" on the home page: where this account is signed in; end one, or every other. */
export function SessionsCard() {
  const [sessions, { refetch }] = createResource(() => trpc.auth.sessions.list.query().then((r) => r.sessions));
  const [ending, setEnding] = createSignal<string | null>(null);
  const [endingOthers, setEndingOthers] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);

  const end = async (s: SessionInfo) => {
    setEnding(s.id);
    setError(null);
    try {
      await trpc.auth.sessions.revoke.mutate({ sessionId: s.id });
      if (s.current) return hardNavigate('/login');
      toast(`Ended the session on ${s.device}`, 'success');
      await refetch();
    } catch (e) {
      setError(errorMessage(e));
      await refetch();
    } finally {
      setEnding(null);
    }
  };

  const endOthers = async () => {
    setEndingOthers(true);
    setError(null);
    try {
      const { ended } = await trpc.auth.sessions.revokeOthers.mutate();
      toast(ended === 1 ? 'Ended 1 other session' : `Ended ${ended} other sessions`, 'success');
      await refetch();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setEndingOthers(false);
    }
  };

  const others = () => (sessions() ?? []).filter((s) => !s.current).length;

  return (
    <section class="card" aria-labelledby="sessions-title">
      <div class="card-header">
        <h2 id="sessions-title" class="card-title">
          Sessions
        </h2>
      </div>
      <p class="muted">Where your account is signed in. End any session you do not recognise, then change your password.</p>
      <FormError message={error() ?? (sessions.error ? errorMessage(sessions.error) : null)} />
      <Show when={sessions()} fallback={<Loading />}>
        {(list) => <SessionList sessions={list()} ending={ending()} onEnd={(s) => void end(s)} />}
      </Show>
      <Show when={others() > 0}>
        <div class="card-footer">
          <Button small variant="danger" busy={endingOthers()} onClick={() => void endOthers()}>
            End all others
          </Button>
        </div>
      </Show>
    </section>
  );
}
