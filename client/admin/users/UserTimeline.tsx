import { For, Match, Show, Switch } from 'solid-js';
import type { TimelineEvent } from '../../../shared/schemas/users';
import { FormError, Loading, formatDateTime, statusLabel, timeAgo } from '../../ui';
import { errorMessage } from '../../lib/trpc';

/** The user's history on their page: every event about them, newest first, with who did it. */
export function UserTimeline(props: { timeline: { isError: boolean; error: unknown; isPending: boolean; data?: { items: TimelineEvent[] } } }) {
  const t = () => props.timeline;
  return (
    <section class="card" aria-labelledby="user-timeline-title" data-testid="user-timeline">
      <div class="card-header">
        <h2 id="user-timeline-title">Timeline</h2>
      </div>
      <Switch>
        <Match when={t().isError}>
          <FormError message={errorMessage(t().error)} />
        </Match>
        <Match when={t().isPending}>
          <Loading />
        </Match>
        <Match when={t().data?.items.length === 0}>
          <p class="muted">Nothing recorded yet.</p>
        </Match>
        <Match when={t().data}>
          {(d) => (
            <ol class="timeline">
              <For each={d().items}>{(e) => <TimelineItem event={e} />}</For>
            </ol>
          )}
        </Match>
      </Switch>
    </section>
  );
}

const EVENT_TITLES: Record<string, string> = {
  'user.registered': 'Registered',
  'user.email_verified': 'Email address verified',
  'user.reconsidered': 'Decision reconsidered',
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
  'user.lockout_started': 'Many failed logins: extra check required',
  'user.lockout_reset': 'Failed logins reset',
  'session.ended': 'Sessions ended',
  'user.forgotten': 'Personal data erased (forgotten)',
};

const EVENT_TONES: Record<string, string> = {
  'user.registered': 'accent',
  'user.activated': 'success',
  'user.email_verified': 'accent',
  'invite.accepted': 'success',
  'user.rejected': 'danger',
  'user.deleted': 'danger',
  'email.failed': 'danger',
  'user.deactivated': 'warning',
  'user.lockout_started': 'warning',
  'user.forgotten': 'danger',
};

/** The `status` of the user snapshot in an event's data, if it has one. */
function snapshotStatus(d: TimelineEvent['data']): unknown {
  const user = d.user;
  return typeof user === 'object' && user !== null && 'status' in user ? user.status : undefined;
}

/** The names of the changed fields in a user.updated event's data. */
function changedFields(d: TimelineEvent['data']): string[] {
  return typeof d.changes === 'object' && d.changes !== null ? Object.keys(d.changes) : [];
}

/** Events only the user can do: the title says who. */
const SELF_EVIDENT = new Set(['user.registered', 'user.email_verified', 'user.invite_accepted', 'user.terms_accepted']);

function eventTitle(e: TimelineEvent): string {
  const d = e.data;
  switch (e.type) {
    case 'user.registered':
      if (snapshotStatus(d) === 'unverified') return 'Registered, email address not yet verified';
      if (d.disposableEmail) return "Registered with a disposable email address; pending an administrator's decision";
      return d.autoApproved ? 'Registered and approved automatically' : "Registered; pending an administrator's decision";
    case 'user.email_verified':
      return d.autoApproved ? 'Email address verified, approved automatically' : "Email address verified; pending an administrator's decision";
    case 'user.reconsidered':
      return `Decision reconsidered: ${snapshotStatus(d) === 'active' ? 'activated' : 'back to pending'}${d.emailed ? ' (user emailed)' : ''}`;
    case 'user.activated':
      return d.previousStatus === 'pending' ? 'Registration approved' : `Activated again (was ${statusLabel(String(d.previousStatus)).toLowerCase()})`;
    case 'session.ended': {
      const n = typeof d.sessions === 'number' && d.sessions > 0 ? d.sessions : null;
      return n === null ? EVENT_TITLES[e.type]! : n === 1 ? '1 session ended' : `${n} sessions ended`;
    }
    case 'email.sent':
    case 'email.failed':
      return `${EVENT_TITLES[e.type]}: ${(typeof d.template === 'string' ? d.template : '').replace(/-/g, ' ')}`;
    default:
      return EVENT_TITLES[e.type] ?? e.type;
  }
}

function TimelineItem(props: { event: TimelineEvent }) {
  const e = () => props.event;
  const d = () => e().data;
  const by = () => {
    // What the person did themselves (registering, verifying) needs no "by": "awaiting approval by the user"
    // read as if the user were the one to approve.
    if (e().actorId && e().actorId === e().userId) return SELF_EVIDENT.has(e().type) ? null : 'by the user themselves';
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
        <div class="timeline-body">{changedFields(d()).join(', ')}</div>
      </Show>
      <time datetime={e().createdAt} title={formatDateTime(e().createdAt)}>
        {formatDateTime(e().createdAt)} · {timeAgo(e().createdAt)}
      </time>
    </li>
  );
}
