import { Show, createEffect, createMemo, createSignal, type JSX } from 'solid-js';
import type { UserRow } from '../../../shared/schemas/users';

/**
 * Which pending users are selected for a bulk decision. Only rows that are still pending count:
 * a row another admin decided meanwhile (the live stream restyles it) drops out of the selection.
 */
export function createPendingSelection(rows: () => UserRow[]) {
  const [ids, setIds] = createSignal<ReadonlySet<string>>(new Set());
  const pending = createMemo(() => rows().filter((r) => r.status === 'pending'));
  const selected = createMemo(() => pending().filter((r) => ids().has(r.id)));
  const update = (fn: (s: Set<string>) => void) => {
    const next = new Set(ids());
    fn(next);
    setIds(next);
  };
  return {
    selected,
    pending,
    isSelected: (id: string) => ids().has(id),
    toggle: (id: string, on: boolean) => update((s) => (on ? s.add(id) : s.delete(id))),
    allSelected: () => pending().length > 0 && selected().length === pending().length,
    someSelected: () => selected().length > 0 && selected().length < pending().length,
    toggleAll: (on: boolean) => {
      const rows = pending();
      update((s) => (on ? rows.forEach((r) => s.add(r.id)) : s.clear()));
    },
    clear: () => setIds(new Set<string>()),
  };
}
export type PendingSelection = ReturnType<typeof createPendingSelection>;

const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

/** The leading cell of a user row: a checkbox for a pending user, empty otherwise. */
export function SelectCell(props: { user: UserRow; selection: PendingSelection }): JSX.Element {
  return (
    <td class="cell-check" style={{ width: '1%' }}>
      <Show when={props.user.status === 'pending'}>
        <input
          type="checkbox"
          aria-label={`Select ${fullName(props.user)}`}
          data-testid="select-user"
          checked={props.selection.isSelected(props.user.id)}
          onChange={(e) => props.selection.toggle(props.user.id, e.currentTarget.checked)}
        />
      </Show>
    </td>
  );
}

/** The header cell over SelectCell: selects every pending row shown. */
export function SelectAllHeader(props: { selection: PendingSelection }): JSX.Element {
  let box!: HTMLInputElement;
  // Mixed state when only some are selected (a DOM property, not an attribute).
  createEffect(() => (box.indeterminate = props.selection.someSelected()));
  return (
    <th scope="col" style={{ width: '1%' }}>
      <input
        type="checkbox"
        aria-label="Select all pending users shown"
        data-testid="select-all"
        disabled={props.selection.pending().length === 0}
        checked={props.selection.allSelected()}
        ref={box}
        onChange={(e) => props.selection.toggleAll(e.currentTarget.checked)}
      />
    </th>
  );
}
