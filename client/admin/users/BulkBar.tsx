import { For, Show, createEffect, createMemo, createSignal, type JSX } from 'solid-js';
import { z } from 'zod';
import { REJECTION_REASON_MAX } from '../../../shared/schemas/users';
import type { UserRow } from '../../../shared/schemas/users';
import { bulkDecideInput, type BulkDecideOutput } from '../../../shared/schemas/bulk';
import { createForm } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, Dialog, FormError, StatusBadge, TextAreaField, timeAgo, toast } from '../../ui';

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
    toggleAll: (on: boolean) => update((s) => (on ? pending().forEach((r) => s.add(r.id)) : s.clear())),
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

const reasonForm = z.object({ reason: bulkDecideInput.shape.reason });

/**
 * Shown while pending users are selected: Activate or Reject (with an optional reason) them all
 * in one step. Each user is decided on its own, so the result can be mixed; it lists what did
 * not go through and why ("Already activated by another admin (Jane Doe).").
 */
export function BulkBar(props: { selection: PendingSelection; onDecided?: (result: BulkDecideOutput) => void }): JSX.Element {
  const [busy, setBusy] = createSignal<'activate' | 'reject' | null>(null);
  const [rejectOpen, setRejectOpen] = createSignal(false);
  const [result, setResult] = createSignal<{ decision: 'activate' | 'reject'; output: BulkDecideOutput; names: Record<string, UserRow> } | null>(null);
  const count = () => props.selection.selected().length;

  async function decide(decision: 'activate' | 'reject', reason: string | null = null): Promise<boolean> {
    const rows = props.selection.selected();
    if (!rows.length) return false;
    setBusy(decision);
    try {
      const output = await trpc.admin.users.bulk.decide.mutate({
        decision,
        reason: decision === 'reject' ? reason : null,
        users: rows.map((r) => ({ userId: r.id, expectedVersion: r.version })),
      });
      props.onDecided?.(output);
      props.selection.clear();
      const verb = decision === 'activate' ? 'Activated' : 'Rejected';
      if (output.failed === 0) toast(`${verb} ${output.succeeded} ${output.succeeded === 1 ? 'user' : 'users'}`, 'success');
      else setResult({ decision, output, names: Object.fromEntries(rows.map((r) => [r.id, r])) });
      return true;
    } catch (e) {
      toast(errorMessage(e), 'error');
      return false;
    } finally {
      setBusy(null);
    }
  }

  return (
    <>
      <Show when={count() > 0}>
        <div class="alert alert-info" role="region" aria-label="Bulk actions" data-testid="bulk-bar" style={{ 'margin-bottom': 'var(--space-3)', 'align-items': 'center' }}>
          <strong style={{ 'margin-right': 'auto' }}>
            {count()} pending {count() === 1 ? 'user' : 'users'} selected
          </strong>
          <Button variant="primary" small busy={busy() === 'activate'} disabled={busy() !== null} onClick={() => void decide('activate')}>
            Activate {count()}
          </Button>
          <Button small disabled={busy() !== null} onClick={() => setRejectOpen(true)}>
            Reject {count()}…
          </Button>
          <Button variant="ghost" small disabled={busy() !== null} onClick={() => props.selection.clear()}>
            Clear selection
          </Button>
        </div>
      </Show>

      <Dialog open={rejectOpen()} title={`Reject ${count()} ${count() === 1 ? 'registration' : 'registrations'}?`} onClose={() => setRejectOpen(false)}>
        <BulkRejectForm count={count()} onCancel={() => setRejectOpen(false)} submit={async (reason) => (await decide('reject', reason)) && (setRejectOpen(false), true)} />
      </Dialog>

      <Dialog
        open={result() !== null}
        title="Some users were not decided"
        class="wide"
        onClose={() => setResult(null)}
        footer={
          <Button variant="primary" onClick={() => setResult(null)}>
            Done
          </Button>
        }
      >
        <Show when={result()}>
          {(r) => (
            <div class="stack" data-testid="bulk-result">
              <p>
                {r().decision === 'activate' ? 'Activated' : 'Rejected'} {r().output.succeeded} of {r().output.results.length}. The others were
                left as they are:
              </p>
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Now</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={r().output.results.filter((x) => !x.ok)}>
                    {(x) => {
                      const who = () => x.user ?? r().names[x.userId];
                      return (
                        <tr data-testid="bulk-failure">
                          <td>
                            <span class="cell-primary">{who() ? fullName(who()!) : x.userId}</span>
                            <span class="cell-sub">{who()?.email}</span>
                          </td>
                          <td>
                            <Show when={x.user} fallback={<span class="muted">Deleted</span>}>
                              {(u) => <StatusBadge status={u().status} />}
                            </Show>
                          </td>
                          <td>{x.message}</td>
                        </tr>
                      );
                    }}
                  </For>
                </tbody>
              </table>
            </div>
          )}
        </Show>
      </Dialog>
    </>
  );
}

function BulkRejectForm(props: { count: number; onCancel: () => void; submit: (reason: string | null) => Promise<boolean> }) {
  const form = createForm(zodValidator(reasonForm), { reason: '' });
  return (
    <form
      class="stack"
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        void form.submit(async (data) => {
          await props.submit(data.reason ?? null);
        });
      }}
    >
      <p>
        The selected {props.count === 1 ? 'user' : `${props.count} users`} will not be able to log in. Each receives an email saying the
        registration was declined, with the reason below if you give one.
      </p>
      <FormError message={form.formError()} />
      <TextAreaField
        label="Reason (optional)"
        name="reason"
        rows={3}
        maxLength={REJECTION_REASON_MAX}
        hint="The same reason is sent to every selected user."
        value={() => form.values().reason ?? ''}
        onInput={(v) => form.set('reason', v)}
        error={form.error('reason')}
      />
      <div class="form-actions">
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button type="submit" variant="danger" busy={form.busy()}>
          Reject {props.count === 1 ? 'registration' : `${props.count} registrations`}
        </Button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// How long a pending request has waited.

const [clock, setClock] = createSignal(Date.now());
let ticking = false;
/** "Waiting 3 h", kept current (re-rendered every 30 seconds). */
export function PendingAge(props: { createdAt: string }): JSX.Element {
  if (!ticking && typeof window !== 'undefined') {
    ticking = true;
    setInterval(() => setClock(Date.now()), 30_000);
  }
  const text = () => {
    const ago = timeAgo(props.createdAt, clock());
    if (ago === 'just now') return 'Waiting < 1 min';
    return ago.endsWith(' ago') ? `Waiting ${ago.slice(0, -4)}` : `Waiting since ${ago}`;
  };
  return (
    <span class="cell-sub" data-testid="pending-age" title="Time since the registration">
      {text()}
    </span>
  );
}
