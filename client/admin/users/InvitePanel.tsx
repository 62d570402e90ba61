import { For, Match, Show, Switch } from 'solid-js';
import type { InviteState } from '../../../shared/schemas/invites';
import { errorMessage } from '../../lib/trpc';
import { Badge, Button, FormError, formatDateTime, timeAgo, Loading } from '../../ui';
import { type InviteUser, useInviteActions, useInvites } from './invites';

const STATE_LABELS: Record<InviteState['state'], { label: string; kind: string }> = {
  pending: { label: 'Invite pending', kind: 'pending' },
  accepted: { label: 'Invite accepted', kind: 'active' },
  expired: { label: 'Invite expired', kind: 'inactive' },
  revoked: { label: 'Invite revoked', kind: 'rejected' },
};

/** The invite's state on the user's page: sent (when, by whom), delivered or failed, opened, accepted, expired, revoked. */
export function InvitePanel(props: { user: InviteUser }) {
  const invites = useInvites(() => props.user.id);
  const actions = useInviteActions(() => props.user);
  const visible = () => props.user.status === 'invited' || (invites.data?.history.length ?? 0) > 0;

  return (
    <Show when={visible()}>
      <section class="card" aria-labelledby="invite-title" data-testid="invite-panel">
        <div class="card-header">
          <h2 id="invite-title">Invitation</h2>
          <Show when={invites.data?.latest}>{(l) => <Badge kind={STATE_LABELS[l().state].kind}>{STATE_LABELS[l().state].label}</Badge>}</Show>
        </div>
        <Switch>
          <Match when={invites.isError}>
            <FormError message={errorMessage(invites.error)} />
          </Match>
          <Match when={invites.isPending}>
            <Loading />
          </Match>
          <Match when={invites.data && !invites.data.latest}>
            <div class="empty-state">
              <div class="empty-title">No invite sent yet</div>
              <p>{props.user.firstName} has no password. Send an invite so they can choose one and log in.</p>
              <Button variant="primary" busy={actions.busy() === 'send'} onClick={() => void actions.run('send')}>
                Send invite
              </Button>
            </div>
          </Match>
          <Match when={invites.data?.latest}>
            {(latest) => (
              <>
                <InviteTimeline invite={latest()} />
                <Show when={(invites.data?.history.length ?? 0) > 1}>
                  <details style={{ 'margin-top': 'var(--space-4)' }}>
                    <summary class="text-sm muted" style={{ cursor: 'pointer' }}>
                      Earlier invites ({invites.data!.history.length - 1})
                    </summary>
                    <ul class="text-sm" style={{ margin: 'var(--space-2) 0 0', 'padding-left': 'var(--space-5)' }}>
                      <For each={invites.data!.history.slice(1)}>
                        {(h) => (
                          <li>
                            Sent {formatDateTime(h.sentAt)}
                            {h.sentBy ? ` by ${h.sentBy.name}` : ''} — {STATE_LABELS[h.state].label.replace('Invite ', '')}
                          </li>
                        )}
                      </For>
                    </ul>
                  </details>
                </Show>
              </>
            )}
          </Match>
        </Switch>
      </section>
    </Show>
  );
}

function When(props: { at: string }) {
  return (
    <time datetime={props.at} title={formatDateTime(props.at)}>
      {formatDateTime(props.at)} · {timeAgo(props.at)}
    </time>
  );
}

function InviteTimeline(props: { invite: InviteState }) {
  const i = () => props.invite;
  const d = () => i().delivery;
  return (
    <ol class="timeline" data-testid="invite-timeline" data-state={i().state}>
      <li class="accent" data-step="sent">
        <div class="timeline-title">Sent{i().sentBy ? <span class="muted"> by {i().sentBy!.name}</span> : null}</div>
        <When at={i().sentAt} />
      </li>
      <Switch>
        <Match when={d()?.status === 'sent'}>
          <li class="success" data-step="delivered">
            <div class="timeline-title">{d()!.via === 'mailbox' ? 'Delivered to the built-in mailbox' : 'Delivered to the mail server'}</div>
            <Show when={d()!.sentAt}>{(at) => <When at={at()} />}</Show>
          </li>
        </Match>
        <Match when={d()?.status === 'failed'}>
          <li class="danger" data-step="failed">
            <div class="timeline-title">Delivery failed</div>
            <Show when={d()!.lastError}>
              <div class="timeline-body">{d()!.lastError}</div>
            </Show>
            <div class="timeline-body">Check the address, then resend the invite.</div>
          </li>
        </Match>
        <Match when={d()?.status === 'pending'}>
          <li data-step="queued">
            <div class="timeline-title">Waiting to be sent{d()!.attempts > 0 ? ` (tried ${d()!.attempts} ${d()!.attempts === 1 ? 'time' : 'times'})` : ''}</div>
            <Show when={d()!.lastError}>
              <div class="timeline-body">{d()!.lastError}</div>
            </Show>
          </li>
        </Match>
      </Switch>
      <Show when={i().openedAt}>
        {(at) => (
          <li data-step="opened">
            <div class="timeline-title">Link opened</div>
            <When at={at()} />
          </li>
        )}
      </Show>
      <Switch>
        <Match when={i().state === 'accepted'}>
          <li class="success" data-step="accepted">
            <div class="timeline-title">Accepted: the account is active</div>
            <When at={i().acceptedAt!} />
          </li>
        </Match>
        <Match when={i().state === 'revoked'}>
          <li class="danger" data-step="revoked">
            <div class="timeline-title">Revoked: the link no longer works</div>
            <When at={i().revokedAt!} />
          </li>
        </Match>
        <Match when={i().state === 'expired'}>
          <li class="warning" data-step="expired">
            <div class="timeline-title">Expired: send a new invite</div>
            <When at={i().expiresAt} />
          </li>
        </Match>
        <Match when={i().state === 'pending'}>
          <li data-step="expires">
            <div class="timeline-title">Link valid until</div>
            <time datetime={i().expiresAt}>
              {formatDateTime(i().expiresAt)} · {timeAgo(i().expiresAt)}
            </time>
          </li>
        </Match>
      </Switch>
    </ol>
  );
}
