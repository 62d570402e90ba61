import { For, Show, createMemo } from 'solid-js';
import { errorMessage } from '../../lib/trpc';
import { Button, FormError } from '../../ui';
import { SelectAllHeader, SelectCell, type PendingSelection } from './pending-selection';
import { UserTableRow } from './UserTableRow';
import type { UserListStore } from './users-list-store';
import { createPendingAnswers } from './PendingAnswers';

/** The users list's table: a row per user (with a checkbox where bulk decisions apply), then "Load more". */
export function UsersTable(props: {
  store: UserListStore;
  selection: PendingSelection;
  /** Whether pending rows get a checkbox (the All and Pending tabs). */
  selectable: boolean;
  /** Rows that just arrived live, highlighted for a moment. */
  arrived: ReadonlySet<string>;
  loading: boolean;
  loadingMore: boolean;
  error: unknown;
  onLoadMore: () => void;
  /** The Pending tab: add the sign-up fields marked "show in the pending queue" as columns. */
  pendingAnswers?: boolean;
  /** The keyboard review queue (review-queue.tsx): the rows' keys. */
  queue?: { ref: (el: HTMLTableSectionElement) => void; onKeyDown: (e: KeyboardEvent) => void };
}) {
  const answers = createPendingAnswers(
    () => props.store.state.order,
    () => !!props.pendingAnswers,
  );
  return (
    <section class="card flush">
      <div class="table-wrap">
        <table class="table users-table" aria-label="Users" aria-busy={props.loading}>
          <thead>
            <tr>
              <Show when={props.selectable}>
                <SelectAllHeader selection={props.selection} />
              </Show>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col" class="hide-sm">
                Organisation
              </th>
              <th scope="col" class="hide-sm">
                Role
              </th>
              <th scope="col">Created</th>
              {answers.headers()}
            </tr>
          </thead>
          <tbody ref={(el) => props.queue?.ref(el)} onKeyDown={(e) => props.queue?.onKeyDown(e)}>
            <For each={props.store.state.order}>
              {(id) => {
                // One checkbox cell per row (memoised: the row reads `leading` more than once).
                const lead = createMemo(() => (props.selectable ? <SelectCell user={props.store.state.byId[id]!} selection={props.selection} /> : undefined));
                return (
                  <UserTableRow
                    user={props.store.state.byId[id]!}
                    highlight={props.arrived.has(id)}
                    selected={props.selection.isSelected(id) && props.store.state.byId[id]?.status === 'pending'}
                    leading={lead()}
                    trailing={answers.cells(id)}
                  />
                );
              }}
            </For>
          </tbody>
        </table>
      </div>
      <div class="pagination">
        <span class="muted text-sm" data-testid="users-shown">
          {props.store.state.nextCursor
            ? `Showing the first ${props.store.state.order.length} users`
            : `${props.store.state.order.length} ${props.store.state.order.length === 1 ? 'user' : 'users'}`}
        </span>
        <Show when={props.store.state.nextCursor}>
          <Button small busy={props.loadingMore} onClick={() => props.onLoadMore()}>
            Load more
          </Button>
        </Show>
      </div>
      <Show when={props.error}>
        <FormError message={errorMessage(props.error)} />
      </Show>
    </section>
  );
}
