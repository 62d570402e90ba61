import { useSearchParams } from '@solidjs/router';
import { useInfiniteQuery } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js';
import { displayEmail } from '../../../shared/email';
import type { MailboxListItem } from '../../../shared/schemas/mail';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, FormError, formatDateTime, timeAgo, Loading } from '../../ui';
import { MAILBOX_KEY } from '../query-keys';
import { MessageView } from './MessageView';

/** The Emails tab: the kept emails, newest first, searchable; the selected one (?id=) beside the list. */
export function InboxPanel() {
  const [params, setParams] = useSearchParams();
  const initialSearch = typeof params.q === 'string' ? params.q : '';
  const [search, setSearch] = createSignal(initialSearch);
  const [applied, setApplied] = createSignal(initialSearch);
  const messages = useInfiniteQuery(() => ({
    queryKey: [...MAILBOX_KEY, applied()],
    queryFn: ({ pageParam }) => trpc.admin.mail.messages.query({ cursor: pageParam, limit: 25, search: applied() || undefined }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
    // New emails show up without a reload.
    refetchInterval: 10_000,
  }));
  const items = createMemo<MailboxListItem[]>(() => messages.data?.pages.flatMap((p) => p.items) ?? []);
  const transport = () => messages.data?.pages[0]?.transport;
  const selectedId = () => {
    const fromUrl = Number(params.id);
    if (Number.isInteger(fromUrl) && fromUrl > 0) return fromUrl;
    return items()[0]?.id ?? null;
  };

  return (
    <div id="panel-inbox" role="tabpanel" aria-labelledby="tab-inbox" class="stack">
      <Show when={transport() === 'mailbox'}>
        <div class="alert alert-info" role="note">
          <p>
            No SMTP server is configured, so emails are kept here instead of being sent, and the server log prints each one's links. Set <code>SMTP_URL</code>{' '}
            and <code>MAIL_FROM</code> to deliver them.
          </p>
        </div>
      </Show>
      <Show when={transport() === 'smtp'}>
        <div class="alert alert-info" role="note">
          <p>Emails are sent through your SMTP server; only those kept before it was configured appear here. See the delivery queue for what was sent.</p>
        </div>
      </Show>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(search().trim());
          setParams({ q: search().trim() || undefined, id: undefined });
        }}
      >
        <label class="sr-only" for="mailbox-search">
          Search by recipient or subject
        </label>
        <input
          id="mailbox-search"
          type="search"
          class="mailbox-search"
          placeholder="Search by recipient or subject"
          value={search()}
          onInput={(e) => setSearch(e.currentTarget.value)}
          maxLength={200}
        />
        <Button type="submit">Search</Button>
      </form>
      <Switch>
        <Match when={messages.isError}>
          <FormError message={errorMessage(messages.error)} />
        </Match>
        <Match when={messages.isPending}>
          <Loading />
        </Match>
        <Match when={items().length === 0}>
          <section class="card">
            <div class="empty-state">
              <p class="empty-title">{applied() ? 'No email matches this search' : 'No emails yet'}</p>
              <p>
                {applied()
                  ? 'Try another address or subject.'
                  : 'Emails appear here as the portal sends them: password resets, invitations, registration notices.'}
              </p>
            </div>
          </section>
        </Match>
        <Match when={true}>
          <div class="mailbox-layout">
            <section class="card flush" aria-label="Emails">
              <div class="table-wrap">
                <table class="table" aria-label="Emails">
                  <thead>
                    <tr>
                      <th scope="col">Email</th>
                      <th scope="col" class="nowrap">
                        Received
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={items()}>
                      {(m) => (
                        <tr
                          class="clickable"
                          classList={{ selected: m.id === selectedId() }}
                          tabIndex={0}
                          aria-selected={m.id === selectedId()}
                          data-testid="mailbox-row"
                          onClick={() => setParams({ id: String(m.id) })}
                          onKeyDown={(e) => {
                            if (e.key === 'Enter' || e.key === ' ') {
                              e.preventDefault();
                              setParams({ id: String(m.id) });
                            }
                          }}
                        >
                          <td>
                            <span class="cell-primary">{m.subject}</span>
                            <span class="cell-sub truncate" title={displayEmail(m.to)}>
                              To {displayEmail(m.to)}
                            </span>
                          </td>
                          <td class="nowrap text-sm muted" title={formatDateTime(m.createdAt)}>
                            {timeAgo(m.createdAt)}
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
              <Show when={messages.hasNextPage}>
                <div class="pagination">
                  <span>{items().length} shown</span>
                  <Button small busy={messages.isFetchingNextPage} onClick={() => void messages.fetchNextPage()}>
                    Load more
                  </Button>
                </div>
              </Show>
            </section>
            <Show when={selectedId()} keyed>
              {(id) => <MessageView id={id} />}
            </Show>
          </div>
        </Match>
      </Switch>
    </div>
  );
}
