import { useSearchParams } from '@solidjs/router';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js';
import type { MailboxListItem, MailboxMessage, OutboxItem } from '../../../shared/schemas/mail';
import { errorMessage, trpc } from '../../lib/trpc';
import { Badge, Button, FormError, formatDateTime, timeAgo, toast, Loading } from '../../ui';
import { MAILBOX_KEY, OUTBOX_KEY, mailboxMessageKey } from '../query-keys';

/**
 * Portal > Mailbox: with no SMTP server configured, every email the portal sends is kept here (and
 * its links are printed in the server log), so a fresh install works end to end. The Outbox tab
 * shows delivery status for every transport.
 */
export default function MailboxPage() {
  const [params, setParams] = useSearchParams();
  const tab = () => (params.tab === 'outbox' ? 'outbox' : 'inbox');

  return (
    <>
      <header class="page-header">
        <div>
          <h1>Mailbox</h1>
          <p class="muted">Emails the portal sent, and the delivery queue.</p>
        </div>
      </header>
      <div class="tabs" role="tablist" aria-label="Mailbox">
        <button type="button" class="tab" role="tab" id="tab-inbox" aria-selected={tab() === 'inbox'} aria-controls="panel-inbox" onClick={() => setParams({ tab: undefined })}>
          Emails
        </button>
        <button type="button" class="tab" role="tab" id="tab-outbox" aria-selected={tab() === 'outbox'} aria-controls="panel-outbox" onClick={() => setParams({ tab: 'outbox', id: undefined })}>
          Delivery queue
        </button>
      </div>
      <Show when={tab() === 'inbox'} fallback={<OutboxPanel />}>
        <InboxPanel />
      </Show>
    </>
  );
}

function InboxPanel() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = createSignal(typeof params.q === 'string' ? params.q : '');
  const [applied, setApplied] = createSignal(search());
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
            No SMTP server is configured, so emails are kept here instead of being sent, and the server log prints each one's links. Set <code>SMTP_URL</code> and{' '}
            <code>MAIL_FROM</code> to deliver them.
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
              <p>{applied() ? 'Try another address or subject.' : 'Emails appear here as the portal sends them: password resets, invitations, registration notices.'}</p>
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
                      <th scope="col" class="nowrap">Received</th>
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
                            <span class="cell-sub truncate">To {m.to}</span>
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

/** Email HTML runs in a sandboxed frame: no scripts, no access to this page; links open in a new tab. */
function emailDocument(html: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head([^>]*)>/i, `<head$1>${base}`) : base + html;
}

function MessageView(props: { id: number }) {
  const [view, setView] = createSignal<'html' | 'text'>('html');
  const message = useQuery(() => ({
    queryKey: mailboxMessageKey(props.id),
    queryFn: () => trpc.admin.mail.message.query({ id: props.id }),
    staleTime: Infinity,
  }));
  return (
    <section class="card mailbox-message" aria-label="Selected email">
      <Switch>
        <Match when={message.isError}>
          <FormError message={errorMessage(message.error)} />
        </Match>
        <Match when={message.data}>
          {(m) => <MessageBody message={m()} view={view()} setView={setView} />}
        </Match>
        <Match when={true}>
          <Loading />
        </Match>
      </Switch>
    </section>
  );
}

function MessageBody(props: { message: MailboxMessage; view: 'html' | 'text'; setView: (v: 'html' | 'text') => void }) {
  const links = createMemo(() => [...new Set(props.message.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [])]);
  return (
    <div class="stack">
      <div class="row-between">
        <h2 class="card-title" data-testid="mailbox-subject">
          {props.message.subject}
        </h2>
        <div class="row" role="group" aria-label="Show as">
          <Button small variant={props.view === 'html' ? 'primary' : 'secondary'} aria-pressed={props.view === 'html'} onClick={() => props.setView('html')}>
            HTML
          </Button>
          <Button small variant={props.view === 'text' ? 'primary' : 'secondary'} aria-pressed={props.view === 'text'} onClick={() => props.setView('text')}>
            Plain text
          </Button>
        </div>
      </div>
      <dl class="details mailbox-headers">
        <dt>From</dt>
        <dd>{props.message.from}</dd>
        <dt>To</dt>
        <dd>{props.message.to}</dd>
        <dt>Date</dt>
        <dd>{formatDateTime(props.message.createdAt)}</dd>
        <dt>Template</dt>
        <dd>
          <code>{props.message.template}</code>
        </dd>
        <Show when={links().length > 0}>
          <dt>Links</dt>
          <dd class="stack-sm">
            <For each={links()}>
              {(l) => (
                <a href={l} target="_blank" rel="noopener noreferrer" class="mailbox-link">
                  {l}
                </a>
              )}
            </For>
          </dd>
        </Show>
      </dl>
      <Show
        when={props.view === 'html'}
        fallback={
          <pre class="mailbox-text" data-testid="mailbox-text">
            {props.message.text}
          </pre>
        }
      >
        <iframe
          class="mailbox-frame"
          title={`Email: ${props.message.subject}`}
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          referrerpolicy="no-referrer"
          srcdoc={emailDocument(props.message.html)}
          data-testid="mailbox-frame"
        />
      </Show>
    </div>
  );
}

const STATUS_KIND: Record<OutboxItem['status'], string> = { pending: 'pending', sent: 'active', failed: 'rejected' };
const STATUS_TEXT: Record<OutboxItem['status'], string> = { pending: 'Waiting', sent: 'Sent', failed: 'Failed' };

function OutboxPanel() {
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
      toast(`Email to ${row.to} queued again`, 'success');
      await queryClient.invalidateQueries({ queryKey: OUTBOX_KEY });
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setRetrying(null);
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
        </select>
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
                    <th scope="col" class="num">Tries</th>
                    <th scope="col" class="hide-sm">When</th>
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
                          <span class="cell-sub">To {row.to}</span>
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
