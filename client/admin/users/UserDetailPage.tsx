import { A, useNavigate, useParams } from '@solidjs/router';
import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createSignal } from 'solid-js';
import type { UserSnapshot } from '../../../shared/events';
import { REJECTION_REASON_MAX, rejectUserInput, type TimelineEvent, type UserDetail } from '../../../shared/schemas/users';
import { createForm } from '../../lib/form';
import { useMe } from '../../lib/session';
import { errorDetails, errorMessage, errorReason, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Badge, Button, Dialog, FormError, StatusBadge, TextAreaField, formatDateTime, statusLabel, timeAgo, toast, Loading } from '../../ui';
import { STATS_KEY, userKey, userTimelineKey } from '../query-keys';
import { InvitePanel, UserMoreOptions } from './InvitePanel';
import { useLiveEvents } from '../shell/live';

type Action = 'activate' | 'reject' | 'deactivate' | 'delete';

/** A user's page: details, the decisions that fit its status, and its history. */
export default function UserDetailPage() {
  const params = useParams();
  const me = useMe();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const id = () => params.id!;
  const user = useQuery(() => ({ queryKey: userKey(id()), queryFn: () => trpc.admin.users.get.query({ userId: id() }), retry: false }));
  const timeline = useQuery(() => ({ queryKey: userTimelineKey(id()), queryFn: () => trpc.admin.users.timeline.query({ userId: id() }) }));

  const [dialog, setDialog] = createSignal<Action | null>(null);
  const [busy, setBusy] = createSignal<Action | null>(null);
  /** Set when another admin changed the user first: what it looks like now. */
  const [conflict, setConflict] = createSignal<{ message: string; current: UserSnapshot | null } | null>(null);

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: userKey(id()) }),
      queryClient.invalidateQueries({ queryKey: userTimelineKey(id()) }),
      queryClient.invalidateQueries({ queryKey: STATS_KEY }),
    ]);
  };

  /** Runs a decision with the version shown on the page; on a lost race shows the user's current state. */
  async function decide(action: Action, run: (u: UserDetail) => Promise<unknown>, done: string): Promise<boolean> {
    const u = user.data;
    if (!u) return false;
    setBusy(action);
    setConflict(null);
    try {
      await run(u);
      toast(done, 'success');
      if (action === 'delete') {
        await queryClient.invalidateQueries({ queryKey: STATS_KEY });
        navigate('/admin/users');
      } else {
        await refresh();
      }
      return true;
    } catch (e) {
      const reason = errorReason(e);
      if (reason === 'USER_CHANGED' || reason === 'INVALID_TRANSITION' || reason === 'NOT_FOUND') {
        const current = (errorDetails(e)?.user as UserSnapshot | undefined) ?? null;
        setConflict({ message: errorMessage(e), current });
        setDialog(null);
        await refresh();
        return false;
      }
      toast(errorMessage(e), 'error');
      return false;
    } finally {
      setBusy(null);
    }
  }

  // Live: any event about this user (from any admin, on any server) extends its timeline at once. A
  // change by another admin is announced above the details, which the admin refreshes when ready
  // (acting on the stale state meanwhile shows the usual conflict).
  const LIVE_CHANGES: Record<string, string> = {
    'user.activated': 'activated',
    'user.rejected': 'rejected',
    'user.deactivated': 'deactivated',
    'user.deleted': 'deleted',
    'user.updated': 'edited',
  };
  // Remembers the version shown when the change arrived: once the page shows a newer one, the notice is moot.
  const [liveChange, setLiveChange] = createSignal<{ who: string; what: string; shownVersion: number | undefined } | null>(null);
  useLiveEvents((e) => {
    if (e.userId !== id()) return;
    void queryClient.invalidateQueries({ queryKey: userTimelineKey(id()) });
    if (LIVE_CHANGES[e.type] && e.actorId !== me.data?.user?.id) {
      setLiveChange({ who: e.actorName ?? 'Another admin', what: LIVE_CHANGES[e.type]!, shownVersion: user.data?.version });
    }
  });
  const showCurrentState = async () => {
    setLiveChange(null);
    setConflict(null);
    await refresh();
  };

  const isSelf = () => me.data?.user?.id === id();
  const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

  return (
    <Switch>
      <Match when={user.isError}>
        <nav class="breadcrumb" aria-label="Breadcrumb">
          <A href="/admin/users">Users</A>
        </nav>
        <section class="card">
          <div class="empty-state">
            <div class="empty-title">{errorReason(user.error) === 'NOT_FOUND' ? 'This user does not exist' : 'Could not load this user'}</div>
            <p>{errorMessage(user.error)}</p>
            <A class="btn btn-secondary" href="/admin/users">
              Back to users
            </A>
          </div>
        </section>
      </Match>
      <Match when={user.data}>
        {(u) => (
          <>
            <nav class="breadcrumb" aria-label="Breadcrumb">
              <A href="/admin/users">Users</A>
              <span aria-hidden="true">/</span>
              <span>{fullName(u())}</span>
            </nav>
            <header class="page-header">
              <div>
                <h1>
                  {fullName(u())} <StatusBadge status={u().status} />
                  <Show when={u().role === 'admin'}>
                    <Badge kind="admin">Admin</Badge>
                  </Show>
                </h1>
                <p>{u().email}</p>
              </div>
              <div class="page-actions" data-slot="user-actions">
                <Show when={u().status === 'pending' || u().status === 'inactive'}>
                  <Button
                    variant="primary"
                    busy={busy() === 'activate'}
                    disabled={busy() !== null}
                    onClick={() =>
                      void decide(
                        'activate',
                        (x) => trpc.admin.users.activate.mutate({ userId: x.id, expectedVersion: x.version }),
                        `${fullName(u())} is now active`,
                      )
                    }
                  >
                    {u().role === 'developer' ? 'Activate developer' : 'Activate user'}
                  </Button>
                </Show>
                <Show when={u().status === 'pending'}>
                  <Button disabled={busy() !== null} onClick={() => setDialog('reject')}>
                    Reject
                  </Button>
                </Show>
                <Show when={u().status === 'active' && !isSelf()}>
                  <Button disabled={busy() !== null} onClick={() => setDialog('deactivate')}>
                    Deactivate
                  </Button>
                </Show>
                <Show when={!isSelf()}>
                  <Button variant="danger" disabled={busy() !== null} onClick={() => setDialog('delete')}>
                    Delete
                  </Button>
                </Show>
                <UserMoreOptions user={u()} />
              </div>
            </header>

            <Show when={liveChange()?.shownVersion === u().version && liveChange()}>
              {(c) => (
                <div class="alert alert-info" role="status" data-testid="user-changed-live" style={{ 'margin-bottom': 'var(--space-4)', 'align-items': 'center' }}>
                  <div style={{ flex: '1' }}>
                    <strong>
                      {c().who} {c().what} this user just now.
                    </strong>{' '}
                    The details on this page are from before that.
                  </div>
                  <Button small onClick={() => void showCurrentState()}>
                    Show current state
                  </Button>
                </div>
              )}
            </Show>

            <Show when={conflict()}>
              {(c) => (
                <div class="alert alert-warning" role="alert" data-testid="user-conflict" style={{ 'margin-bottom': 'var(--space-4)' }}>
                  <div>
                    <strong>{c().message}</strong>
                    <Show when={c().current}>
                      {(cur) => (
                        <p>
                          It is now <StatusBadge status={cur().status} /> ({fullName(cur())}, {cur().email}). The page shows its current
                          state: review it before deciding again.
                        </p>
                      )}
                    </Show>
                  </div>
                </div>
              )}
            </Show>

            <Show when={u().status === 'rejected' && u().rejectionReason}>
              <div class="alert alert-error" style={{ 'margin-bottom': 'var(--space-4)' }}>
                <div>
                  <strong>Rejection reason:</strong> <span style={{ 'white-space': 'pre-line' }}>{u().rejectionReason}</span>
                </div>
              </div>
            </Show>

            <div class="stack">
              <section class="card" aria-labelledby="user-details-title">
                <div class="card-header">
                  <h2 id="user-details-title">Details</h2>
                </div>
                <dl class="details">
                  <dt>First name</dt>
                  <dd>{u().firstName}</dd>
                  <dt>Last name</dt>
                  <dd>{u().lastName}</dd>
                  <dt>Email</dt>
                  <dd>{u().email}</dd>
                  <dt>Status</dt>
                  <dd>
                    <StatusBadge status={u().status} />
                  </dd>
                  <dt>Organisation</dt>
                  <dd>{u().organisation.name}</dd>
                  <dt>Role</dt>
                  <dd>{u().role === 'admin' ? 'Administrator' : 'Developer'}</dd>
                  <dt>Password</dt>
                  <dd>{u().hasPassword ? (u().mustChangePassword ? 'Set (must be changed at next login)' : 'Set') : 'Not set yet'}</dd>
                  <dt>Registered</dt>
                  <dd>
                    <time datetime={u().createdAt}>{formatDateTime(u().createdAt)}</time>
                  </dd>
                  <dt>Last changed</dt>
                  <dd>
                    <time datetime={u().updatedAt}>{formatDateTime(u().updatedAt)}</time>
                  </dd>
                </dl>
              </section>

              {/* More options: further user features (edit, invite, organisation) add their sections here. */}
              <div class="stack" data-slot="user-more-options">
                <InvitePanel user={u()} />
              </div>

              <section class="card" aria-labelledby="user-timeline-title" data-testid="user-timeline">
                <div class="card-header">
                  <h2 id="user-timeline-title">Timeline</h2>
                </div>
                <Switch>
                  <Match when={timeline.isError}>
                    <FormError message={errorMessage(timeline.error)} />
                  </Match>
                  <Match when={timeline.isPending}>
                    <Loading />
                  </Match>
                  <Match when={timeline.data?.items.length === 0}>
                    <p class="muted">Nothing recorded yet.</p>
                  </Match>
                  <Match when={timeline.data}>
                    {(t) => (
                      <ol class="timeline">
                        <For each={t().items}>{(e) => <TimelineItem event={e} />}</For>
                      </ol>
                    )}
                  </Match>
                </Switch>
              </section>
            </div>

            <RejectDialog
              open={dialog() === 'reject'}
              name={fullName(u())}
              onClose={() => setDialog(null)}
              submit={(reason) =>
                decide('reject', (x) => trpc.admin.users.reject.mutate({ userId: x.id, expectedVersion: x.version, reason }), `Rejected ${fullName(u())}`)
              }
            />
            <ConfirmDialog
              open={dialog() === 'deactivate'}
              title="Deactivate this user?"
              confirmLabel="Deactivate"
              busy={busy() === 'deactivate'}
              onClose={() => setDialog(null)}
              onConfirm={async () => {
                if (
                  await decide(
                    'deactivate',
                    (x) => trpc.admin.users.deactivate.mutate({ userId: x.id, expectedVersion: x.version }),
                    `${fullName(u())} is deactivated`,
                  )
                )
                  setDialog(null);
              }}
            >
              <p>
                <strong>{fullName(u())}</strong> will be logged out everywhere at once and will not be able to log in until an administrator
                activates the account again.
              </p>
            </ConfirmDialog>
            <ConfirmDialog
              open={dialog() === 'delete'}
              title="Delete this user?"
              confirmLabel="Delete user"
              danger
              busy={busy() === 'delete'}
              onClose={() => setDialog(null)}
              onConfirm={async () => {
                if (
                  await decide('delete', (x) => trpc.admin.users.delete.mutate({ userId: x.id, expectedVersion: x.version }), `Deleted ${fullName(u())}`)
                )
                  setDialog(null);
              }}
            >
              <p>
                <strong>{fullName(u())}</strong> ({u().email}) and all of the account's sessions will be removed. This cannot be undone; the
                history stays in the audit log.
              </p>
            </ConfirmDialog>
          </>
        )}
      </Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

// ---------------------------------------------------------------------------------------------

const EVENT_TITLES: Record<string, string> = {
  'user.registered': 'Registered',
  'user.activated': 'Activated',
  'user.rejected': 'Registration rejected',
  'user.deactivated': 'Deactivated',
  'user.deleted': 'Deleted',
  'user.updated': 'Details changed',
  'user.invited': 'Invited',
  'user.created': 'Account created',
  'user.password_changed': 'Password changed',
  'invite.sent': 'Invitation sent',
  'invite.resent': 'Invitation sent again',
  'invite.revoked': 'Invitation revoked',
  'invite.accepted': 'Invitation accepted',
  'email.sent': 'Email sent',
  'email.failed': 'Email could not be sent',
};

const EVENT_TONES: Record<string, string> = {
  'user.registered': 'accent',
  'user.activated': 'success',
  'invite.accepted': 'success',
  'user.rejected': 'danger',
  'user.deleted': 'danger',
  'email.failed': 'danger',
  'user.deactivated': 'warning',
};

function eventTitle(e: TimelineEvent): string {
  const d = e.data as Record<string, any>;
  switch (e.type) {
    case 'user.registered':
      return d.autoApproved ? 'Registered and approved automatically' : 'Registered, awaiting approval';
    case 'user.activated':
      return d.previousStatus === 'pending' ? 'Registration approved' : `Activated again (was ${statusLabel(String(d.previousStatus)).toLowerCase()})`;
    case 'email.sent':
    case 'email.failed':
      return `${EVENT_TITLES[e.type]}: ${String(d.template ?? '').replace(/-/g, ' ')}`;
    default:
      return EVENT_TITLES[e.type] ?? e.type;
  }
}

function TimelineItem(props: { event: TimelineEvent }) {
  const e = () => props.event;
  const d = () => e().data as Record<string, any>;
  const by = () => {
    if (e().actorId && e().actorId === e().userId) return 'by the user';
    if (e().actorName) return `by ${e().actorName}`;
    if (e().actorId) return 'by a deleted user';
    return null;
  };
  return (
    <li class={EVENT_TONES[e().type] ?? ''} data-event-type={e().type}>
      <div class="timeline-title">
        {eventTitle(e())}
        <Show when={by()}>
          <span class="muted"> {by()}</span>
        </Show>
      </div>
      <Show when={e().type === 'user.rejected' && d().reason}>
        <div class="timeline-body" style={{ 'white-space': 'pre-line' }}>
          Reason: {String(d().reason)}
        </div>
      </Show>
      <Show when={e().type === 'email.failed' && d().error}>
        <div class="timeline-body">{String(d().error)}</div>
      </Show>
      <Show when={e().type === 'user.updated' && d().changes}>
        <div class="timeline-body">{Object.keys(d().changes).join(', ')}</div>
      </Show>
      <time datetime={e().createdAt} title={formatDateTime(e().createdAt)}>
        {formatDateTime(e().createdAt)} · {timeAgo(e().createdAt)}
      </time>
    </li>
  );
}

// ---------------------------------------------------------------------------------------------

const rejectReasonSchema = rejectUserInput.pick({ reason: true });

function RejectDialog(props: { open: boolean; name: string; onClose: () => void; submit: (reason: string | null) => Promise<boolean> }) {
  return (
    <Dialog open={props.open} title="Reject this registration?" onClose={props.onClose}>
      <RejectForm {...props} />
    </Dialog>
  );
}

function RejectForm(props: { name: string; onClose: () => void; submit: (reason: string | null) => Promise<boolean> }) {
  const form = createForm(zodValidator(rejectReasonSchema), { reason: '' });
  return (
    <form
      class="stack"
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        void form.submit(async (data) => {
          if (await props.submit(data.reason)) props.onClose();
        });
      }}
    >
      <p>
        <strong>{props.name}</strong> will not be able to log in. They receive an email saying the registration was declined, with the
        reason below if you give one.
      </p>
      <FormError message={form.formError()} />
      <TextAreaField
        label="Reason (optional)"
        name="reason"
        rows={3}
        maxLength={REJECTION_REASON_MAX}
        hint="Shown to the user in the email and when they try to log in."
        value={() => form.values().reason ?? ''}
        onInput={(v) => form.set('reason', v)}
        error={form.error('reason')}
      />
      <div class="form-actions">
        <Button onClick={props.onClose}>Cancel</Button>
        <Button type="submit" variant="danger" busy={form.busy()}>
          Reject registration
        </Button>
      </div>
    </form>
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
  children: any;
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
