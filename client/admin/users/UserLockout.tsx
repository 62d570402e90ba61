import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Show, createSignal } from 'solid-js';
import { errorMessage, trpc } from '../../lib/trpc';
import { Badge, Button, FormError, Loading, formatDateTime, toast } from '../../ui';
import { userKey } from '../query-keys';

const userLockoutKey = (id: string) => [...userKey(id), 'lockout'] as const;

/**
 * The user page's "Failed logins" card: how many wrong passwords since the last success, whether
 * logins to the account must pass the harder browser check, how many addresses are refused; Reset.
 */
export function UserLockout(props: { userId: string }) {
  const queryClient = useQueryClient();
  const state = useQuery(() => ({ queryKey: userLockoutKey(props.userId), queryFn: () => trpc.admin.users.lockout.get.query({ userId: props.userId }) }));
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);

  const reset = async () => {
    setBusy(true);
    setError(null);
    try {
      queryClient.setQueryData(userLockoutKey(props.userId), await trpc.admin.users.lockout.reset.mutate({ userId: props.userId }));
      toast('Failed logins reset', 'success');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="user-lockout-title" data-testid="user-lockout">
      <div class="card-header">
        <h2 id="user-lockout-title">Failed logins</h2>
        <Show when={(state.data?.failures ?? 0) > 0 || (state.data?.blockedAddresses ?? 0) > 0}>
          <Button small variant="secondary" busy={busy()} onClick={() => void reset()}>
            Reset
          </Button>
        </Show>
      </div>
      <FormError message={error() ?? (state.isError ? errorMessage(state.error) : null)} />
      <Show when={state.data} fallback={<Loading />}>
        {(s) => (
          <div class="stack">
            <p>
              <Show when={s().state === 'challenged'} fallback={<Badge kind="active">Normal</Badge>}>
                <Badge kind="pending">Extra check required</Badge>
              </Show>{' '}
              <span data-testid="lockout-failures">
                {s().failures} failed {s().failures === 1 ? 'attempt' : 'attempts'}
              </span>
              <Show when={s().lastFailureAt}>{(t) => <span class="muted">, the last {formatDateTime(t())}</span>}</Show>
            </p>
            <Show when={s().state === 'challenged'}>
              <p class="text-sm muted">
                Since {formatDateTime(s().challengedSince)}, every login to this account must first pass a harder browser check, except from browsers that
                logged in to it before. The owner was emailed. A successful login or Reset ends this.
              </p>
            </Show>
            <Show when={s().blockedAddresses > 0}>
              <p class="text-sm muted">
                {s().blockedAddresses} {s().blockedAddresses === 1 ? 'address is' : 'addresses are'} refused for a while after too many failures.
              </p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
