import { Show, createEffect, createMemo, createSignal, type JSX } from 'solid-js';
import type { UserRow } from '../../../shared/schemas/users';

/** A selected user that another admin decided (or deleted) before this admin did. */
export interface TakenRow {
  user: UserRow;
  /** Who decided it (the event's actor), when known. */
  by: string | null;
  /** True when the user no longer exists. */
  deleted: boolean;
}

/**
 * Which pending users are selected for a decision. A selected row that another admin decides
 * meanwhile does not silently drop out: it moves to `taken()` with who took it, and stays there
 * (out of the actions' reach) until this admin dismisses it or clears the selection.
 */
export function createPendingSelection(rows: () => UserRow[]) {
  const [ids, setIds] = createSignal<ReadonlySet<string>>(new Set());
  const [takenById, setTakenById] = createSignal<ReadonlyMap<string, TakenRow>>(new Map());
  const pending = createMemo(() => rows().filter((r) => r.status === 'pending'));
  const selected = createMemo(() => pending().filter((r) => ids().has(r.id) && !takenById().has(r.id)));
  const update = (fn: (s: Set<string>) => void) => {
    const next = new Set(ids());
    fn(next);
    setIds(next);
  };
  const forgetTaken = (keep: (id: string) => boolean) => setTakenById((m) => new Map([...m].filter(([id]) => keep(id))));
  return {
    selected,
    pending,
    /** Selected users another admin decided first, with who did it. */
    taken: () => [...takenById().values()].filter((t) => ids().has(t.user.id)),
    isSelected: (id: string) => ids().has(id),
    toggle: (id: string, on: boolean) => update((s) => (on ? s.add(id) : s.delete(id))),
    allSelected: () => pending().length > 0 && selected().length === pending().length,
    someSelected: () => selected().length > 0 && selected().length < pending().length,
    toggleAll: (on: boolean) => {
      const list = pending();
      update((s) => (on ? list.forEach((r) => s.add(r.id)) : list.forEach((r) => s.delete(r.id))));
    },
    /**
     * A live change to a user by someone else: if it was selected and is no longer pending, it is
     * taken (deleted users too).
     */
    noteChange: (user: UserRow, by: string | null, deleted = false) => {
      if (!ids().has(user.id) || (!deleted && user.status === 'pending')) return;
      setTakenById((m) => new Map(m).set(user.id, { user, by, deleted }));
    },
    /** Unselects the given users (e.g. after deciding them); taken entries stay. */
    drop: (list: readonly string[]) => {
      const taken = takenById();
      update((s) => list.forEach((id) => !taken.has(id) && s.delete(id)));
    },
    /** Removes one taken entry from the selection. */
    dismissTaken: (id: string) => {
      update((s) => s.delete(id));
      forgetTaken((x) => x !== id);
    },
    clear: () => {
      setIds(new Set<string>());
      setTakenById(new Map());
    },
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
          // The row is the Tab stop (Space or x selects); the box stays for the pointer.
          tabindex="-1"
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
