import { useNavigate } from '@solidjs/router';
import { useQueryClient } from '@tanstack/solid-query';
import { Show, createSignal, type JSX } from 'solid-js';
import type { UserSnapshot } from '../../../shared/events';
import type { UserDetail } from '../../../shared/schemas/users';
import { errorDetails, errorMessage, errorReason, trpc } from '../../lib/trpc';
import { Button, CheckboxField, Dialog, toast } from '../../ui';
import { STATS_KEY } from '../query-keys';
import { RejectReasonDialog } from './RejectReasonForm';

type Action = 'activate' | 'reject' | 'deactivate' | 'delete' | 'reconsider';

const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

/**
 * The decisions on a user's page (activate, reject, deactivate, delete): which dialog is open,
 * which decision is running, and what the user looks like when another admin changed it first.
 */
export function createUserDecisions(opts: { user: () => UserDetail | undefined; refresh: () => Promise<void> }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = createSignal<Action | null>(null);
  const [busy, setBusy] = createSignal<Action | null>(null);
  /** Set when another admin changed the user first: what it looks like now. */
  const [conflict, setConflict] = createSignal<{ message: string; current: UserSnapshot | null } | null>(null);

  /** Undo in the toast: runs `undo` on the user as the decision left it, then says `done`. */
  const undoAction = (after: UserSnapshot, undo: { run: (u: UserSnapshot) => Promise<unknown>; done: string }) => ({
    label: 'Undo',
    run: async () => {
      try {
        await undo.run(after);
        toast(undo.done, 'success');
      } catch (e) {
        toast(errorMessage(e), 'error');
      }
      await opts.refresh();
    },
  });

  /**
   * Runs a decision with the version shown on the page; on a lost race shows the user's current state.
   * With `undo`, the toast saying what was done offers Undo (where the domain has a way back).
   */
  async function decide(
    action: Action,
    run: (u: UserDetail) => Promise<unknown>,
    done: string,
    undo?: { run: (u: UserSnapshot) => Promise<unknown>; done: string },
  ): Promise<boolean> {
    const u = opts.user();
    if (!u) return false;
    setBusy(action);
    setConflict(null);
    try {
      const result = await run(u);
      const after = (result as { user?: UserSnapshot } | undefined)?.user;
      toast(done, 'success', after && undo ? { action: undoAction(after, undo) } : {});
      if (action === 'delete') {
        await queryClient.invalidateQueries({ queryKey: STATS_KEY });
        navigate('/admin/users');
      } else {
        await opts.refresh();
      }
      return true;
    } catch (e) {
      const reason = errorReason(e);
      if (reason === 'USER_CHANGED' || reason === 'INVALID_TRANSITION' || reason === 'NOT_FOUND') {
        const current = (errorDetails(e)?.user as UserSnapshot | undefined) ?? null;
        setConflict({ message: errorMessage(e), current });
        setDialog(null);
        await opts.refresh();
        return false;
      }
      toast(errorMessage(e), 'error');
      return false;
    } finally {
      setBusy(null);
    }
  }

  return { dialog, setDialog, busy, conflict, setConflict, decide };
}
export type UserDecisions = ReturnType<typeof createUserDecisions>;

/** The page header's decision buttons that fit the user's status (never deactivate or delete yourself). */
export function DecisionButtons(props: { user: UserDetail; isSelf: boolean; decisions: UserDecisions }) {
  const d = () => props.decisions;
  const u = () => props.user;
  return (
    <>
      <Show when={u().status === 'pending' || u().status === 'inactive'}>
        <Button
          variant="primary"
          busy={d().busy() === 'activate'}
          disabled={d().busy() !== null}
          onClick={() =>
            void d().decide(
              'activate',
              (x) => trpc.admin.users.activate.mutate({ userId: x.id, expectedVersion: x.version }),
              `${fullName(u())} is now active`,
              {
                // The way back from active is deactivation (never pending again).
                run: (after) => trpc.admin.users.deactivate.mutate({ userId: after.id, expectedVersion: after.version }),
                done: `Undone: ${fullName(u())} is deactivated`,
              },
            )
          }
        >
          {u().role === 'developer' ? 'Activate developer' : 'Activate user'}
        </Button>
      </Show>
      <Show when={u().status === 'pending'}>
        <Button disabled={d().busy() !== null} onClick={() => d().setDialog('reject')}>
          Reject
        </Button>
      </Show>
      <Show when={u().status === 'rejected'}>
        <Button disabled={d().busy() !== null} onClick={() => d().setDialog('reconsider')}>
          Reconsider
        </Button>
      </Show>
      <Show when={u().status === 'active' && !props.isSelf}>
        <Button disabled={d().busy() !== null} onClick={() => d().setDialog('deactivate')}>
          Deactivate
        </Button>
      </Show>
      <Show when={!props.isSelf}>
        <Button variant="danger" disabled={d().busy() !== null} onClick={() => d().setDialog('delete')}>
          Delete
        </Button>
      </Show>
    </>
  );
}

/** The dialogs the decision buttons open: reject with a reason, confirm deactivation, confirm deletion. */
export function DecisionDialogs(props: { user: UserDetail; decisions: UserDecisions }) {
  const d = () => props.decisions;
  const u = () => props.user;
  const close = () => d().setDialog(null);
  const deactivate = async () => {
    if (
      await d().decide('deactivate', (x) => trpc.admin.users.deactivate.mutate({ userId: x.id, expectedVersion: x.version }), `${fullName(u())} is deactivated`)
    )
      close();
  };
  const remove = async () => {
    if (await d().decide('delete', (x) => trpc.admin.users.delete.mutate({ userId: x.id, expectedVersion: x.version }), `Deleted ${fullName(u())}`)) close();
  };
  return (
    <>
      <RejectReasonDialog
        open={d().dialog() === 'reject'}
        title="Reject this registration?"
        intro={
          <>
            <strong>{fullName(u())}</strong> will not be able to log in. They receive an email saying the registration was declined, with the reason below if
            you give one.
          </>
        }
        hint="Shown to the user in the email and when they try to log in."
        submitLabel="Reject registration"
        onClose={close}
        submit={(reason) =>
          d().decide('reject', (x) => trpc.admin.users.reject.mutate({ userId: x.id, expectedVersion: x.version, reason }), `Rejected ${fullName(u())}`, {
            // Reconsider back to pending, telling the user (they were emailed the rejection).
            run: (after) => trpc.admin.users.reconsider.mutate({ userId: after.id, expectedVersion: after.version, to: 'pending', notify: true }),
            done: `Undone: ${fullName(u())} is back in the pending queue`,
          })
        }
      />
      <ReconsiderDialog user={u()} decisions={d()} onClose={close} />
      <ConfirmDialog
        open={d().dialog() === 'deactivate'}
        title="Deactivate this user?"
        confirmLabel="Deactivate"
        busy={d().busy() === 'deactivate'}
        onClose={close}
        onConfirm={() => void deactivate()}
      >
        <p>
          <strong>{fullName(u())}</strong> will be logged out everywhere at once and will not be able to log in until an administrator activates the account
          again.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={d().dialog() === 'delete'}
        title="Delete this user?"
        confirmLabel="Delete user"
        danger
        busy={d().busy() === 'delete'}
        onClose={close}
        onConfirm={() => void remove()}
      >
        <p>
          <strong>{fullName(u())}</strong> ({u().email}) and all of the account's sessions will be removed. This cannot be undone; the history stays in the
          audit log, with the name. To erase their personal data as well, use <strong>Forget</strong> under Personal data.
        </p>
      </ConfirmDialog>
    </>
  );
}

/** Reconsider a rejected registration: back to the pending queue or activated, with an optional email. */
function ReconsiderDialog(props: { user: UserDetail; decisions: UserDecisions; onClose: () => void }) {
  const d = () => props.decisions;
  const [to, setTo] = createSignal<'pending' | 'active'>('pending');
  const [notify, setNotify] = createSignal(true);
  const radio = 'reconsider-to';
  const reconsider = async () => {
    // The choices as they are when Confirm is clicked.
    const target = to();
    const email = notify();
    const done = target === 'active' ? `${fullName(props.user)} is now active` : `${fullName(props.user)} is back in the pending queue`;
    if (
      await d().decide('reconsider', (x) => trpc.admin.users.reconsider.mutate({ userId: x.id, expectedVersion: x.version, to: target, notify: email }), done)
    )
      props.onClose();
  };
  return (
    <ConfirmDialog
      open={d().dialog() === 'reconsider'}
      title="Reconsider this registration?"
      confirmLabel={to() === 'active' ? 'Activate' : 'Move to pending'}
      busy={d().busy() === 'reconsider'}
      onClose={props.onClose}
      onConfirm={() => void reconsider()}
    >
      <p>
        The registration of <strong>{fullName(props.user)}</strong> was rejected. You can give it another look:
      </p>
      <fieldset class="stack-sm">
        <legend class="sr-only">New status</legend>
        <div class="checkbox-row">
          <input type="radio" id={`${radio}-pending`} name={radio} value="pending" checked={to() === 'pending'} onChange={() => setTo('pending')} />
          <div class="checkbox-text">
            <label for={`${radio}-pending`}>Move back to pending</label>
            <p class="field-hint">The registration waits in the Pending queue for a decision.</p>
          </div>
        </div>
        <div class="checkbox-row">
          <input type="radio" id={`${radio}-active`} name={radio} value="active" checked={to() === 'active'} onChange={() => setTo('active')} />
          <div class="checkbox-text">
            <label for={`${radio}-active`}>Activate</label>
            <p class="field-hint">The user can log in at once.</p>
          </div>
        </div>
      </fieldset>
      <CheckboxField
        label="Email the user"
        name="notify"
        hint={to() === 'active' ? 'Sends "Account activated" with the login link.' : 'Sends "Registration reconsidered": it is being reviewed again.'}
        checked={notify}
        onChange={setNotify}
      />
    </ConfirmDialog>
  );
}

function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  busy: boolean;
  onClose: () => void;
  onConfirm: () => void;
  children: JSX.Element;
}) {
  return (
    <Dialog
      open={props.open}
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <Button onClick={props.onClose}>Cancel</Button>
          <Button variant={props.danger ? 'danger' : 'primary'} busy={props.busy} onClick={() => props.onConfirm()}>
            {props.confirmLabel}
          </Button>
        </>
      }
    >
      {props.children}
    </Dialog>
  );
}
