import { For, Show, createSignal, type JSX } from 'solid-js';
import type { UserRow } from '../../../shared/schemas/users';
import type { BulkDecideOutput } from '../../../shared/schemas/bulk';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, Dialog, StatusBadge, toast } from '../../ui';
import type { PendingSelection } from './pending-selection';
import { RejectReasonDialog } from './RejectReasonForm';
import { displayEmail } from '../../../shared/email';

const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

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
        <div
          class="alert alert-info"
          role="region"
          aria-label="Bulk actions"
          data-testid="bulk-bar"
          style={{ 'margin-bottom': 'var(--space-3)', 'align-items': 'center' }}
        >
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

      <RejectReasonDialog
        open={rejectOpen()}
        title={`Reject ${count()} ${count() === 1 ? 'registration' : 'registrations'}?`}
        intro={
          <>
            The selected {count() === 1 ? 'user' : `${count()} users`} will not be able to log in. Each receives an email saying the registration was declined,
            with the reason below if you give one.
          </>
        }
        hint="The same reason is sent to every selected user."
        submitLabel={`Reject ${count() === 1 ? 'registration' : `${count()} registrations`}`}
        onClose={() => setRejectOpen(false)}
        submit={(reason) => decide('reject', reason)}
      />

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
                {r().decision === 'activate' ? 'Activated' : 'Rejected'} {r().output.succeeded} of {r().output.results.length}. The others were left as they
                are:
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
                            <span class="cell-primary truncate" title={who() ? fullName(who()!) : x.userId}>
                              {who() ? fullName(who()!) : x.userId}
                            </span>
                            <span class="cell-sub truncate" title={who() ? displayEmail(who()!.email) : undefined}>
                              {who() ? displayEmail(who()!.email) : ''}
                            </span>
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
