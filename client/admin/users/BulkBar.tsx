import { For, Show, type JSX } from 'solid-js';
import { Button } from '../../ui';
import type { PendingSelection } from './pending-selection';
import { DecisionResultList, type ReviewActions } from './review-actions';

const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

/**
 * Shown while pending users are selected, or a decision's result is on screen: Activate or Reject
 * (with an optional reason) them all in one step. Each user is decided on its own, so the result
 * can be mixed: it lists every user's outcome and stays until dismissed. A selected user another
 * admin decided first stays listed with who took it.
 */
export function BulkBar(props: { selection: PendingSelection; actions: ReviewActions }): JSX.Element {
  const count = () => props.selection.selected().length;
  const busy = () => props.actions.busy();
  const visible = () => count() > 0 || props.selection.taken().length > 0 || props.actions.result() !== null;
  return (
    <Show when={visible()}>
      <div class="alert alert-info bulk-bar" role="region" aria-label="Bulk actions" data-testid="bulk-bar">
        <Show when={count() > 0}>
          <div class="bulk-bar-row">
            <strong style={{ 'margin-right': 'auto' }}>
              {count()} pending {count() === 1 ? 'user' : 'users'} selected
            </strong>
            <Button
              variant="primary"
              small
              busy={busy() === 'activate'}
              disabled={busy() !== null}
              onClick={() => props.actions.activate(props.selection.selected())}
            >
              Activate {count()}
            </Button>
            <Button small disabled={busy() !== null} onClick={() => props.actions.reject(props.selection.selected())}>
              Reject {count()}…
            </Button>
            <Button variant="ghost" small disabled={busy() !== null} onClick={() => props.selection.clear()}>
              Clear selection
            </Button>
          </div>
        </Show>
        <Show when={props.selection.taken().length > 0}>
          <ul class="bulk-taken" aria-label="Taken by another admin">
            <For each={props.selection.taken()}>
              {(t) => (
                <li data-testid="selection-taken" data-user-id={t.user.id}>
                  <span>
                    <strong>{fullName(t.user)}</strong>{' '}
                    {t.deleted
                      ? `was deleted by ${t.by ?? 'another admin'}`
                      : `was taken by ${t.by ?? 'another admin'}: now ${t.user.status === 'active' ? 'active' : t.user.status}`}
                    . It is no longer part of your decision.
                  </span>
                  <Button variant="ghost" small onClick={() => props.selection.dismissTaken(t.user.id)}>
                    Remove from selection
                  </Button>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={props.actions.result()}>{(r) => <DecisionResultList result={r()} onDismiss={() => props.actions.dismissResult()} />}</Show>
      </div>
    </Show>
  );
}
