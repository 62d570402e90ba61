import { createStore, produce } from 'solid-js/store';
import type { UserSnapshot } from '../../../shared/events';
import type { UserListStatusFilter, UserRow } from '../../../shared/schemas/users';

/** What the list currently shows: the status filter and the search text. */
export interface UserListFilter {
  status: UserListStatusFilter;
  search: string;
  /** By age: 'newest' first (default) or 'oldest' first (waiting longest; offered for pending users). */
  sort?: 'newest' | 'oldest';
}

interface UserListState {
  /** Row ids in display order. */
  order: string[];
  /** Rows keyed by user id. Setting a key to undefined removes it (that is how a store deletes). */
  byId: Record<string, UserRow | undefined>;
  /** Keyset cursor of the next page; null when everything is loaded. */
  nextCursor: string | null;
}

/** Whether a user belongs in the list under this filter (same rule as the server's query). */
function rowMatches(filter: UserListFilter, u: UserSnapshot): boolean {
  if (filter.status !== 'all' && u.status !== filter.status) return false;
  const q = filter.search.trim().toLowerCase();
  if (!q) return true;
  // The start of the address, of "first last", of the last name or of the domain (users.repository.ts, SEARCH_ARMS).
  const starts = (s: string, term = q) => s.toLowerCase().startsWith(term);
  const domain = u.email.split('@')[1] ?? '';
  return starts(u.email) || starts(`${u.firstName} ${u.lastName}`) || starts(u.lastName) || starts(domain, q.startsWith('@') ? q.slice(1) : q);
}

/**
 * The list's order: with 'all', pending users first, then everyone else; newest first within each
 * block; ties by id. Negative when a comes first.
 */
function compareRows(filter: UserListFilter, a: UserRow, b: UserRow): number {
  if (filter.status === 'all') {
    const sa = a.status === 'pending' ? 0 : 1;
    const sb = b.status === 'pending' ? 0 : 1;
    if (sa !== sb) return sa - sb;
  }
  const dir = filter.sort === 'oldest' ? -1 : 1;
  if (a.createdAt !== b.createdAt) return (a.createdAt > b.createdAt ? -1 : 1) * dir;
  return a.id === b.id ? 0 : (a.id > b.id ? -1 : 1) * dir;
}

/**
 * The users list's rows, keyed by user id. Pages from admin.users.list go in with setPage /
 * appendPage; a single user's new state (a UserSnapshot from an event or an action's answer) goes
 * in with upsertRow, which places, moves or drops the row as the filter and order require.
 */
export function createUserListStore(filter: () => UserListFilter) {
  const [state, setState] = createStore<UserListState>({ order: [], byId: {}, nextCursor: null });

  function setPage(items: UserRow[], nextCursor: string | null) {
    setState({ order: items.map((r) => r.id), byId: Object.fromEntries(items.map((r) => [r.id, r])), nextCursor });
  }

  function appendPage(items: UserRow[], nextCursor: string | null) {
    setState(
      produce((s) => {
        for (const r of items) {
          if (!s.byId[r.id]) s.order.push(r.id);
          s.byId[r.id] = r;
        }
        s.nextCursor = nextCursor;
      }),
    );
  }

  function removeRow(id: string) {
    if (!state.byId[id]) return;
    setState(
      produce((s) => {
        s.byId[id] = undefined;
        s.order = s.order.filter((x) => x !== id);
      }),
    );
  }

  /**
   * Puts the user's current state in the list. Returns what happened: 'inserted', 'updated',
   * 'removed' (no longer matches the filter) or 'skipped' (belongs further down, past the rows
   * loaded so far: it arrives with "Load more").
   */
  function upsertRow(u: UserSnapshot): 'inserted' | 'updated' | 'removed' | 'skipped' {
    const f = filter();
    const row: UserRow = {
      id: u.id,
      email: u.email,
      firstName: u.firstName,
      lastName: u.lastName,
      role: u.role,
      status: u.status,
      organisationId: u.organisationId,
      organisationName: u.organisationName,
      createdAt: u.createdAt,
      version: u.version,
    };
    const existing = state.byId[row.id];
    if (existing && existing.version > row.version) return 'skipped'; // an older state arriving late
    if (!rowMatches(f, row)) {
      if (!existing) return 'skipped';
      removeRow(row.id);
      return 'removed';
    }
    const others = state.order.filter((id) => id !== row.id);
    let at = others.findIndex((id) => compareRows(f, row, state.byId[id]!) < 0);
    if (at === -1) {
      // Sorts after every loaded row: only place it when the whole list is loaded.
      if (state.nextCursor !== null && !existing) return 'skipped';
      at = others.length;
    }
    setState(
      produce((s) => {
        s.byId[row.id] = row;
        others.splice(at, 0, row.id);
        s.order = others;
      }),
    );
    return existing ? 'updated' : 'inserted';
  }

  return {
    state,
    rows: () => state.order.map((id) => state.byId[id]!),
    setPage,
    appendPage,
    upsertRow,
    removeRow,
  };
}
export type UserListStore = ReturnType<typeof createUserListStore>;
