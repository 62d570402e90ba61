import { A, useParams } from '@solidjs/router';
import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Match, Show, Switch, createSignal } from 'solid-js';
import { errorMessage, errorReason, trpc } from '../../lib/trpc';
import { useMe } from '../../lib/session';
import { Badge, Button, Loading, StatusBadge } from '../../ui';
import { STATS_KEY, userKey, userTimelineKey } from '../query-keys';
import { useLiveEvents } from '../shell/live';
import { InvitePanel } from './InvitePanel';
import { DecisionButtons, DecisionDialogs, createUserDecisions } from './UserDecisions';
import { UserDetailsCard } from './UserDetailsCard';
import { UserAnswers } from './UserAnswers';
import { UserMoreOptions } from './UserMoreOptions';
import { UserTimeline } from './UserTimeline';
import { UserSessions } from './UserSessions';
import { UserLockout } from './UserLockout';
import { PersonalDataCard } from './PersonalDataCard';
import { displayEmail } from '../../../shared/email';

/** A user's page: details, the decisions that fit its status, and its history. */
export default function UserDetailPage() {
  const params = useParams();
  const me = useMe();
  const queryClient = useQueryClient();
  const id = () => params.id!;
  const user = useQuery(() => ({ queryKey: userKey(id()), queryFn: () => trpc.admin.users.get.query({ userId: id() }), retry: false }));
  const timeline = useQuery(() => ({ queryKey: userTimelineKey(id()), queryFn: () => trpc.admin.users.timeline.query({ userId: id() }) }));

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: userKey(id()) }),
      queryClient.invalidateQueries({ queryKey: userTimelineKey(id()) }),
      queryClient.invalidateQueries({ queryKey: STATS_KEY }),
    ]);
  };

  const decisions = createUserDecisions({ user: () => user.data, refresh });

  // Live: any event about this user (from any admin, on any server) extends its timeline at once. A
  // change by another admin is announced above the details, which the admin refreshes when ready
  // (acting on the stale state meanwhile shows the usual conflict).
  const LIVE_CHANGES: Record<string, string> = {
    'user.activated': 'activated',
    'user.rejected': 'rejected',
    'user.reconsidered': 'reconsidered',
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
    decisions.setConflict(null);
    await refresh();
  };

  const isSelf = () => me.data?.user?.id === id();
  // A deleted user's name: the newest snapshot its events carried.
  const lastSnapshot = () => {
    for (const e of timeline.data?.items ?? []) {
      const u = e.data.user as { firstName?: unknown; lastName?: unknown } | null | undefined;
      if (u && typeof u.firstName === 'string' && typeof u.lastName === 'string') return { firstName: u.firstName, lastName: u.lastName };
    }
    return null;
  };
  const deletedName = () => {
    const s = lastSnapshot();
    return s ? `${s.firstName} ${s.lastName}` : 'Deleted user';
  };
  const deletedForgotten = () => (timeline.data?.items ?? []).some((e) => e.type === 'user.forgotten');
  const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

  return (
    <Switch>
      <Match when={user.isError && errorReason(user.error) === 'NOT_FOUND' && timeline.data?.items.length}>
        {/* A deleted account: its history stays readable (with the name its events carried), and its data can still be exported or forgotten. */}
        <nav class="breadcrumb" aria-label="Breadcrumb">
          <A href="/admin/users">Users</A>
          <span aria-hidden="true">/</span>
          <span>{deletedName()}</span>
        </nav>
        <header class="page-header">
          <div>
            <h1>
              {deletedName()} <Badge kind="inactive">Deleted</Badge>
            </h1>
            <p class="muted">This account was deleted; its history stays in the audit log.</p>
          </div>
        </header>
        <div class="stack">
          <PersonalDataCard userId={id()} name={deletedName()} forgotten={deletedForgotten()} />
          <UserTimeline timeline={timeline} />
        </div>
      </Match>
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
                <p class="long-value" title={displayEmail(u().email)}>
                  {displayEmail(u().email)}
                </p>
              </div>
              <div class="page-actions" data-slot="user-actions">
                <DecisionButtons user={u()} isSelf={isSelf()} decisions={decisions} />
                <UserMoreOptions user={u()} />
              </div>
            </header>

            <Show when={liveChange()?.shownVersion === u().version && liveChange()}>
              {(c) => (
                <div
                  class="alert alert-info"
                  role="status"
                  data-testid="user-changed-live"
                  style={{ 'margin-bottom': 'var(--space-4)', 'align-items': 'center' }}
                >
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

            <Show when={decisions.conflict()}>
              {(c) => (
                <div class="alert alert-warning" role="alert" data-testid="user-conflict" style={{ 'margin-bottom': 'var(--space-4)' }}>
                  <div>
                    <strong>{c().message}</strong>
                    <Show when={c().current}>
                      {(cur) => (
                        <p>
                          It is now <StatusBadge status={cur().status} /> ({fullName(cur())}, {cur().email}). The page shows its current state: review it before
                          deciding again.
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
              <UserDetailsCard user={u()} />
              <UserAnswers userId={u().id} />

              {/* More options: further user features (edit, invite, organisation) add their sections here. */}
              <div class="stack" data-slot="user-more-options">
                <InvitePanel user={u()} />
              </div>

              <UserSessions userId={u().id} />
              <UserLockout userId={u().id} />
              <PersonalDataCard userId={u().id} name={fullName(u())} forgotten={(timeline.data?.items ?? []).some((e) => e.type === 'user.forgotten')} />

              <UserTimeline timeline={timeline} />
            </div>

            <DecisionDialogs user={u()} decisions={decisions} />
          </>
        )}
      </Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}
