import { useSearchParams } from '@solidjs/router';
import { useQuery } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createEffect, createSignal, on, onCleanup } from 'solid-js';
import { USER_STATUSES } from '../../../shared/constants';
import { USER_SEARCH_MAX, type UserListStatusFilter } from '../../../shared/schemas/users';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, FormError, statusLabel, Loading } from '../../ui';
import { STATS_KEY } from '../query-keys';
import { UsersTable } from './UsersTable';
import { AddUserButton } from './AddUserDialog';
import { createUserListStore, type UserListFilter } from './users-list-store';
import type { DomainEventDto } from '../../../shared/events';
import { eventUser, liveEventsSince, useLiveEvents } from '../shell/live';
import { displayEmail } from '../../../shared/email';
import { BulkBar } from './BulkBar';
import { createPendingSelection } from './pending-selection';
import { useMe } from '../../lib/session';
import { createReviewActions } from './review-actions';
import { createReviewQueue, useShortcutPreference } from './review-queue';
import { tabIndexAfterKey } from './review-keys';
import { useRegistrationAnnouncer } from '../shell/live';

const PAGE_SIZE = 50;
const FILTERS: UserListStatusFilter[] = ['all', ...USER_STATUSES];

function parseStatus(v: unknown): UserListStatusFilter {
  return typeof v === 'string' && (FILTERS as string[]).includes(v) ? (v as UserListStatusFilter) : 'all';
}

/**
 * API Consumers > Users: everyone with an account, pending registrations first. Filter by status,
 * search by name or email, more rows with "Load more" (keyset pages from admin.users.list).
 */
export default function UsersPage() {
  const [params, setParams] = useSearchParams();
  const filter = (): UserListFilter => ({
    status: parseStatus(params.status),
    search: typeof params.q === 'string' ? params.q : '',
    // Sorting by age is offered for the pending queue: waiting longest first.
    sort: parseStatus(params.status) === 'pending' && params.sort === 'oldest' ? 'oldest' : 'newest',
  });
  /** A page of the list: the pending queue oldest-first comes from admin.users.bulk.pending, everything else from admin.users.list. */
  const fetchPage = (f: UserListFilter, cursor?: string) =>
    f.sort === 'oldest'
      ? trpc.admin.users.bulk.pending.query({ sort: 'oldest', search: f.search, limit: PAGE_SIZE, cursor })
      : trpc.admin.users.list.query({ status: f.status, search: f.search, limit: PAGE_SIZE, cursor });
  const store = createUserListStore(filter);
  const stats = useQuery(() => ({ queryKey: STATS_KEY, queryFn: () => trpc.admin.users.stats.query() }));

  const [searchText, setSearchText] = createSignal(filter().search);
  const [loading, setLoading] = createSignal(true);
  const [loadingMore, setLoadingMore] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  let requestSeq = 0;

  async function loadFirstPage() {
    const seq = ++requestSeq;
    const f = filter();
    const since = performance.now();
    setLoading(true);
    setError(null);
    try {
      const page = await fetchPage(f);
      if (seq !== requestSeq) return; // a newer filter won
      store.setPage(page.items, page.nextCursor);
      // Live events that arrived while the page was loading may be newer than it.
      for (const e of liveEventsSince(since)) applyLiveEvent(e, false);
    } catch (e) {
      if (seq === requestSeq) setError(e);
    } finally {
      if (seq === requestSeq) setLoading(false);
    }
  }

  async function loadMore() {
    const cursor = store.state.nextCursor;
    if (!cursor || loadingMore()) return;
    const seq = requestSeq;
    const f = filter();
    setLoadingMore(true);
    try {
      const page = await fetchPage(f, cursor);
      if (seq === requestSeq) store.appendPage(page.items, page.nextCursor);
    } catch (e) {
      if (seq === requestSeq) setError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  createEffect(
    on(
      () => [params.status, params.q, params.sort],
      () => void loadFirstPage(),
    ),
  );

  // Live: a registration appears (highlighted), a decision by any admin moves or restyles its row at once.
  const [arrived, setArrived] = createSignal<ReadonlySet<string>>(new Set());
  const flash = (id: string) => {
    setArrived((s) => new Set(s).add(id));
    setTimeout(
      () =>
        setArrived((s) => {
          const next = new Set(s);
          next.delete(id);
          return next;
        }),
      2600,
    );
  };
  const me = useMe();
  function applyLiveEvent(e: DomainEventDto, highlight = true) {
    const u = eventUser(e);
    if (!u) return;
    // A selected request decided by someone else stays in the selection, marked with who took it.
    if (e.actorId !== me.data?.user?.id) selection.noteChange(u, e.actorName, e.type === 'user.deleted');
    if (e.type === 'user.deleted') return store.removeRow(u.id);
    const result = store.upsertRow(u);
    if (highlight && (e.type === 'user.registered' || e.type === 'user.email_verified') && result === 'inserted') {
      flash(u.id);
      announce(`New registration: ${u.firstName} ${u.lastName}, ${displayEmail(u.email)}${u.status === 'pending' ? ', waiting for approval' : ''}`);
    }
  }
  useLiveEvents((e) => applyLiveEvent(e));
  const selection = createPendingSelection(() => store.rows());
  const selectable = () => filter().status === 'all' || filter().status === 'pending';

  // What the list says to screen readers (new rows, the review queue's feedback), politely. Messages
  // close together are read together rather than one replacing the other before it is heard.
  const [announcement, setAnnouncement] = createSignal('');
  let announceReset: ReturnType<typeof setTimeout> | undefined;
  function announce(text: string) {
    setAnnouncement((prev) => (prev ? `${prev} ${text}` : text).slice(-1000));
    clearTimeout(announceReset);
    announceReset = setTimeout(() => setAnnouncement(''), 7000);
  }
  onCleanup(() => clearTimeout(announceReset));
  // The list announces registrations itself; the toast then shows them without saying them twice.
  useRegistrationAnnouncer();

  const actions = createReviewActions({ selection, onChanged: (users) => users.forEach((u) => store.upsertRow(u)) });
  const shortcuts = useShortcutPreference();
  const queue = createReviewQueue({
    rows: () => store.rows(),
    selection,
    actions,
    queue: () => filter().status === 'pending',
    shortcuts,
    announce,
  });
  let tabList!: HTMLDivElement;
  const selectTab = (s: UserListStatusFilter) => setParams({ status: s === 'all' ? undefined : s }, { replace: true });
  function onTabKey(e: KeyboardEvent) {
    const current = FILTERS.indexOf(filter().status);
    const to = tabIndexAfterKey(e.key, current, FILTERS.length);
    if (to === null) return;
    e.preventDefault();
    selectTab(FILTERS[to]!);
    tabList.querySelector<HTMLElement>(`[data-filter="${FILTERS[to]}"]`)?.focus();
  }

  // Search as you type, once the typing pauses.
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const onSearchInput = (v: string) => {
    setSearchText(v);
    clearTimeout(debounce);
    debounce = setTimeout(() => setParams({ q: v.trim() || undefined }, { replace: true }), 250);
  };
  onCleanup(() => clearTimeout(debounce));

  const count = (s: UserListStatusFilter) => (s === 'all' ? stats.data?.total : stats.data?.byStatus[s]);

  return (
    <>
      <header class="page-header">
        <div>
          <h1>Users</h1>
          <p class="muted">Everyone with an account on the developer portal. Pending registrations come first.</p>
        </div>
        {/* Page actions: other features add their buttons here (e.g. "Add new user"). */}
        <div class="page-actions" data-slot="users-page-actions">
          <AddUserButton onAdded={(r) => store.upsertRow(r.user)} />
        </div>
      </header>

      {/* ARIA tabs: one Tab stop (the selected tab); arrows, Home and End move and select. */}
      <div class="tabs" role="tablist" aria-label="Filter by status" ref={tabList} onKeyDown={onTabKey}>
        <For each={FILTERS}>
          {(s) => (
            <button
              type="button"
              role="tab"
              class="tab"
              id={`users-tab-${s}`}
              aria-selected={filter().status === s}
              aria-controls="users-panel"
              tabindex={filter().status === s ? 0 : -1}
              data-filter={s}
              onClick={() => selectTab(s)}
            >
              {s === 'all' ? 'All' : statusLabel(s)}
              <Show when={count(s) !== undefined}>
                <span class="nav-count" classList={{ attention: s === 'pending' && (count(s) ?? 0) > 0 }}>
                  {count(s)}
                </span>
              </Show>
            </button>
          )}
        </For>
      </div>

      <div role="tabpanel" id="users-panel" aria-labelledby={`users-tab-${filter().status}`}>
        <div class="sr-only" role="status" aria-live="polite" data-testid="users-live">
          {announcement()}
        </div>
        <div class="toolbar" role="search">
          <label class="sr-only" for="user-search">
            Search users
          </label>
          <input
            id="user-search"
            type="search"
            placeholder="Search by name or email"
            maxLength={USER_SEARCH_MAX}
            value={searchText()}
            onInput={(e) => onSearchInput(e.currentTarget.value)}
            autocomplete="off"
            style={{ flex: '1', 'max-width': '420px' }}
          />
          <Show when={filter().status === 'pending'}>
            <label class="sr-only" for="user-sort">
              Sort pending requests
            </label>
            <select
              id="user-sort"
              data-testid="pending-sort"
              style={{ width: 'auto', flex: 'none' }}
              value={filter().sort}
              onChange={(e) => setParams({ sort: e.currentTarget.value === 'oldest' ? 'oldest' : undefined }, { replace: true })}
            >
              <option value="newest">Newest first</option>
              <option value="oldest">Waiting longest first</option>
            </select>
          </Show>
          <Show when={loading() && store.state.order.length > 0}>
            <span class="spinner" aria-label="Loading" />
          </Show>
          <Show when={filter().status === 'pending'}>
            <Button small variant="ghost" onClick={() => queue.openHelp()} data-testid="keys-button">
              Keyboard shortcuts
            </Button>
          </Show>
        </div>

        {/* Above the list, not in it: a result or a taken selection stays when the list has emptied. */}
        <Show when={selectable()}>
          <BulkBar selection={selection} actions={actions} />
        </Show>
        <Switch>
          <Match when={error() && store.state.order.length === 0}>
            <FormError message={errorMessage(error())} />
            <Button onClick={() => void loadFirstPage()}>Try again</Button>
          </Match>
          <Match when={loading() && store.state.order.length === 0}>
            <Loading />
          </Match>
          <Match when={store.state.order.length === 0}>
            <section class="card">
              <div class="empty-state">
                <div class="empty-title">{filter().search ? 'No users match your search' : 'No users here yet'}</div>
                <p>
                  {filter().search
                    ? 'Try another name or email address, or another status.'
                    : filter().status === 'pending'
                      ? 'New registrations that need your approval will appear here.'
                      : 'Users appear here as developers register or are added.'}
                </p>
              </div>
            </section>
          </Match>
          <Match when={true}>
            <UsersTable
              store={store}
              selection={selection}
              selectable={selectable()}
              arrived={arrived()}
              loading={loading()}
              loadingMore={loadingMore()}
              error={error()}
              onLoadMore={() => void loadMore()}
              pendingAnswers={filter().status === 'pending'}
              queue={queue}
            />
          </Match>
        </Switch>
      </div>
      <actions.Dialogs />
      <queue.HelpDialog />
    </>
  );
}
