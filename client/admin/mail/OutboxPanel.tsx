import { useInfiniteQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js';
import { displayEmail } from '../../../shared/email';
import type { OutboxItem } from '../../../shared/schemas/mail';
import { errorMessage, trpc } from '../../lib/trpc';
import { Badge, Button, FormError, formatDateTime, timeAgo, toast, Loading } from '../../ui';
import { OUTBOX_KEY } from '../query-keys';

const STATUS_KIND: Record<OutboxItem['status'], string> = { pending: 'pending', sent: 'active', failed: 'rejected', suppressed: 'inactive' };
const STATUS_TEXT: Record<OutboxItem['status'], string> = { pending: 'Waiting', sent: 'Sent', failed: 'Failed', suppressed: 'Not sent' };

/** The Delivery queue tab: every email's delivery status, with Retry for a failed one. */
export function OutboxPanel() {
  const queryClient = useQueryClient();
  const [status, setStatus] = createSignal<'all' | OutboxItem['status']>('all');
  const outbox = useInfiniteQuery(() => ({
    queryKey: [...OUTBOX_KEY, status()],
    queryFn: ({ pageParam }) => trpc.admin.mail.outbox.query({ status: status(), cursor: pageParam, limit: 25 }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: 5_000,
  }));
  const items = createMemo(() => outbox.data?.pages.flatMap((p) => p.items) ?? []);
  const counts = () => outbox.data?.pages[0]?.counts;
  const [retrying, setRetrying] = createSignal<number | null>(null);

  const retry = async (row: OutboxItem) => {
    setRetrying(row.id);
    try {
      await trpc.admin.mail.retry.mutate({ id: row.id });
      toast(`Email to ${displayEmail(row.to)} queued again`, 'success');
      await queryClient.invalidateQueries({ queryKey: OUTBOX_KEY });
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setRetrying(null);
    }
  };

  const [retryingAll, setRetryingAll] = createSignal(false);
  /** "Retry all failed": every failed email back in the queue, except those that carried a one-time link. */
  const retryAll = async () => {
    setRetryingAll(true);
    try {
      const { retried, skipped } = await trpc.admin.mail.retryAllFailed.mutate();
      toast(
        retried === 0 && skipped === 0
          ? 'No failed emails to retry'
          : `${retried} failed email${retried === 1 ? '' : 's'} queued again` + (skipped ? `; ${skipped} carried a one-time link and cannot be retried` : ''),
        retried > 0 ? 'success' : 'info',
      );
      await queryClient.invalidateQueries({ queryKey: OUTBOX_KEY });
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setRetryingAll(false);
    }
  };

  return (
    <div id="panel-outbox" role="tabpanel" aria-labelledby="tab-outbox" class="stack">
      <div class="toolbar">
        <label for="outbox-status">Status</label>
        <select id="outbox-status" value={status()} onChange={(e) => setStatus(e.currentTarget.value as 'all' | OutboxItem['status'])}>
          <option value="all">All</option>
          <option value="pending">Waiting{counts() ? ` (${counts()!.pending})` : ''}</option>
          <option value="sent">Sent{counts() ? ` (${counts()!.sent})` : ''}</option>
          <option value="failed">Failed{counts() ? ` (${counts()!.failed})` : ''}</option>
          <option value="suppressed">Not sent (suppressed or capped){counts() ? ` (${counts()!.suppressed})` : ''}</option>
        </select>
        <Show when={(counts()?.failed ?? 0) > 0}>
          <Button small busy={retryingAll()} onClick={() => void retryAll()}>
            Retry all failed
          </Button>
        </Show>
      </div>
      <Switch>
        <Match when={outbox.isError}>
          <FormError message={errorMessage(outbox.error)} />
        </Match>
        <Match when={outbox.isPending}>
          <Loading />
        </Match>
        <Match when={items().length === 0}>
          <section class="card">
            <div class="empty-state">
              <p class="empty-title">Nothing here</p>
              <p>Emails appear in the queue as soon as the portal sends them.</p>
            </div>
          </section>
        </Match>
        <Match when={true}>
          <section class="card flush">
            <div class="table-wrap">
              <table class="table" aria-label="Delivery queue">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Tries
                    </th>
                    <th scope="col" class="hide-sm">
                      When
                    </th>
                    <th scope="col" class="actions">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={items()}>
                    {(row) => (
                      <tr data-testid="outbox-row">
                        <td>
                          <span class="cell-primary">{row.subject ?? row.template}</span>
                          <span class="cell-sub long-value" title={displayEmail(row.to)}>
                            To {displayEmail(row.to)}
                          </span>
                          <Show when={row.lastError}>
                            <span class="cell-sub mailbox-error">{row.lastError}</span>
                          </Show>
                        </td>
                        <td>
                          <Badge kind={STATUS_KIND[row.status]}>{STATUS_TEXT[row.status]}</Badge>
                        </td>
                        <td class="num">
                          {row.attempts} / {row.maxAttempts}
                        </td>
                        <td class="hide-sm nowrap text-sm muted">
                          {row.status === 'sent' && row.sentAt
                            ? `Sent ${timeAgo(row.sentAt)}`
                            : row.status === 'pending'
                              ? `Next try ${formatDateTime(row.nextAttemptAt)}`
                              : `Queued ${timeAgo(row.createdAt)}`}
                        </td>
                        <td class="actions">
                          <Show when={row.status === 'failed'}>
                            <Button
                              small
                              variant="ghost"
                              disabled={!row.retryable}
                              busy={retrying() === row.id}
                              title={row.retryable ? undefined : 'This email carried a one-time link that was discarded: send a new invite or reset instead'}
                              onClick={() => void retry(row)}
                            >
                              Retry
                            </Button>
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <Show when={outbox.hasNextPage}>
              <div class="pagination">
                <span>{items().length} shown</span>
                <Button small busy={outbox.isFetchingNextPage} onClick={() => void outbox.fetchNextPage()}>
                  Load more
                </Button>
              </div>
            </Show>
          </section>
        </Match>
      </Switch>
    </div>
  );
}
