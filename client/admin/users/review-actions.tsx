import { For, Show, createSignal, type JSX } from 'solid-js';
import type { UserRow } from '../../../shared/schemas/users';
import type { BulkDecideOutput } from '../../../shared/schemas/bulk';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, Dialog, toast } from '../../ui';
import type { PendingSelection } from './pending-selection';
import { RejectReasonDialog } from './RejectReasonForm';

/** Decisions on more users than this at once ask first (a stray key or click should not decide a page of people). */
export const CONFIRM_BULK_OVER = 10;

export type Decision = 'activate' | 'reject';

export interface DecisionResult {
  decision: Decision;
  output: BulkDecideOutput;
  /** The users as they were when decided (for names of users deleted meanwhile). */
  names: Record<string, UserRow>;
}

const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;
const users = (n: number) => `${n} ${n === 1 ? 'user' : 'users'}`;

/** "Activated Ada Lovelace", "Rejected 3 users", "Activated 2 of 3 users". */
export function decisionSummary(decision: Decision, output: BulkDecideOutput, names: Record<string, UserRow>): string {
  const verb = decision === 'activate' ? 'Activated' : 'Rejected';
  const total = output.results.length;
  if (output.succeeded === 0)
    return `Nothing was ${decision === 'activate' ? 'activated' : 'rejected'}: ${output.results[0]?.message ?? 'no user was decided'}`;
  if (total === 1) {
    const u = output.results[0]!.user ?? names[output.results[0]!.userId];
    return `${verb} ${u ? fullName(u) : '1 user'}`;
  }
  return output.failed === 0 ? `${verb} ${users(total)}` : `${verb} ${output.succeeded} of ${users(total)}`;
}

/**
 * Activate and reject for the users list, shared by the bulk bar's buttons and the review queue's
 * keys: more than CONFIRM_BULK_OVER users ask first; every decision says what it did in a toast
 * with Undo (Deactivate undoes an activation, Reconsider back to pending undoes a rejection), and
 * a decision on several users keeps its per-user result in the bulk bar until dismissed.
 */
export function createReviewActions(opts: { selection: PendingSelection; onChanged: (users: UserRow[]) => void }) {
  const [busy, setBusy] = createSignal<Decision | null>(null);
  const [rejecting, setRejecting] = createSignal<UserRow[] | null>(null);
  const [confirming, setConfirming] = createSignal<UserRow[] | null>(null);
  const [result, setResult] = createSignal<DecisionResult | null>(null);

  async function undo(decision: Decision, decided: UserRow[]) {
    const back: UserRow[] = [];
    const failures: string[] = [];
    for (const u of decided) {
      try {
        const r =
          decision === 'activate'
            ? await trpc.admin.users.deactivate.mutate({ userId: u.id, expectedVersion: u.version })
            : await trpc.admin.users.reconsider.mutate({ userId: u.id, expectedVersion: u.version, to: 'pending', notify: true });
        back.push(r.user);
      } catch (e) {
        failures.push(`${fullName(u)}: ${errorMessage(e)}`);
      }
    }
    opts.onChanged(back);
    if (back.length) {
      const who = back.length === 1 ? fullName(back[0]!) : users(back.length);
      toast(
        decision === 'activate' ? `Undone: deactivated ${who}` : `Undone: ${who} back in the pending queue (emailed that the registration is reconsidered)`,
        'success',
      );
    }
    if (failures.length) toast(`Could not undo for ${failures.join('; ')}`, 'error');
  }

  async function decide(decision: Decision, rows: UserRow[], reason: string | null = null): Promise<boolean> {
    if (!rows.length) return false;
    setBusy(decision);
    try {
      const output = await trpc.admin.users.bulk.decide.mutate({
        decision,
        reason: decision === 'reject' ? reason : null,
        users: rows.map((r) => ({ userId: r.id, expectedVersion: r.version })),
      });
      const names = Object.fromEntries(rows.map((r) => [r.id, r]));
      opts.onChanged(output.results.flatMap((r) => (r.user ? [r.user] : [])));
      opts.selection.drop(rows.map((r) => r.id));
      if (rows.length > 1) setResult({ decision, output, names });
      const decided = output.results.filter((r) => r.ok && r.user).map((r) => r.user!);
      toast(
        decisionSummary(decision, output, names),
        output.succeeded === 0 ? 'error' : 'success',
        decided.length ? { action: { label: 'Undo', run: () => undo(decision, decided) } } : {},
      );
      return true;
    } catch (e) {
      toast(errorMessage(e), 'error');
      return false;
    } finally {
      setBusy(null);
    }
  }

  return {
    busy,
    result,
    dismissResult: () => setResult(null),
    /** Activates the users; more than CONFIRM_BULK_OVER ask first. */
    activate(rows: UserRow[]) {
      if (!rows.length || busy()) return;
      if (rows.length > CONFIRM_BULK_OVER) setConfirming(rows);
      else void decide('activate', rows);
    },
    /** Opens "Reject with a reason" for the users (the dialog is the confirmation). */
    reject(rows: UserRow[]) {
      if (rows.length && !busy()) setRejecting(rows);
    },
    dialogsOpen: () => rejecting() !== null || confirming() !== null,
    /** The dialogs these actions open; mount once. */
    Dialogs(): JSX.Element {
      const n = () => rejecting()?.length ?? 0;
      const one = () => (n() === 1 ? rejecting()![0]! : null);
      return (
        <>
          <RejectReasonDialog
            open={rejecting() !== null}
            title={one() ? `Reject ${fullName(one()!)}?` : `Reject ${n()} registrations?`}
            intro={
              <>
                {one() ? fullName(one()!) : `The selected ${n()} users`} will not be able to log in. {one() ? 'They receive' : 'Each receives'} an email saying
                the registration was declined, with the reason below if you give one.
              </>
            }
            hint={n() > 1 ? 'The same reason is sent to every selected user.' : 'Shown to the user in the email and when they try to log in.'}
            submitLabel={n() === 1 ? 'Reject registration' : `Reject ${n()} registrations`}
            onClose={() => setRejecting(null)}
            submit={(reason) => decide('reject', rejecting() ?? [], reason)}
          />
          <Dialog
            open={confirming() !== null}
            title={`Activate ${confirming()?.length ?? 0} users?`}
            onClose={() => setConfirming(null)}
            footer={
              <>
                <Button onClick={() => setConfirming(null)}>Cancel</Button>
                <Button
                  variant="primary"
                  busy={busy() === 'activate'}
                  onClick={() => {
                    const rows = confirming() ?? [];
                    void decide('activate', rows).then(() => setConfirming(null));
                  }}
                >
                  Activate {confirming()?.length ?? 0} users
                </Button>
              </>
            }
          >
            <p data-testid="bulk-confirm">
              {confirming()?.length ?? 0} users will be able to log in at once, and each is emailed that the account is active. You can undo it for a few
              seconds afterwards (they are deactivated, not returned to pending).
            </p>
          </Dialog>
        </>
      );
    },
  };
}
export type ReviewActions = ReturnType<typeof createReviewActions>;

/** The per-user result of a decision on several users, kept in the bulk bar until dismissed. */
export function DecisionResultList(props: { result: DecisionResult; onDismiss: () => void }): JSX.Element {
  const r = () => props.result;
  return (
    <div class="bulk-result" data-testid="bulk-result">
      <div class="bulk-result-head">
        <strong>{decisionSummary(r().decision, r().output, r().names)}</strong>
        <Button variant="ghost" small onClick={() => props.onDismiss()}>
          Dismiss
        </Button>
      </div>
      <ul class="bulk-result-list">
        <For each={r().output.results}>
          {(x) => {
            const who = () => x.user ?? r().names[x.userId];
            return (
              <li data-testid={x.ok ? 'bulk-success' : 'bulk-failure'} data-user-id={x.userId}>
                <span class="cell-primary">{who() ? fullName(who()!) : x.userId}</span>
                <span class={x.ok ? 'text-success' : 'text-danger'}>
                  <Show
                    when={x.ok}
                    fallback={
                      <>
                        Not {r().decision === 'activate' ? 'activated' : 'rejected'}: {x.message ?? 'it changed meanwhile'}
                      </>
                    }
                  >
                    {r().decision === 'activate' ? 'Activated' : 'Rejected'}
                  </Show>
                </span>
              </li>
            );
          }}
        </For>
      </ul>
    </div>
  );
}
