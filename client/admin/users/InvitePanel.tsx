import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createSignal, onCleanup, onMount, type JSX } from 'solid-js';
import type { InviteState, InvitesForUser } from '../../../shared/schemas/invites';
import type { UserStatus } from '../../../shared/constants';
import { errorMessage, trpc } from '../../lib/trpc';
import { Badge, Button, Dialog, FormError, formatDateTime, timeAgo, toast, Loading } from '../../ui';
import { EditUserDialog, type EditableUser } from './EditUserDialog';

import { invitesKey, userKey } from '../query-keys';

export interface InviteUser extends EditableUser {
  email: string;
  status: UserStatus;
  hasPassword: boolean;
}

function useInvites(userId: () => string) {
  return useQuery(() => ({
    queryKey: invitesKey(userId()),
    queryFn: () => trpc.admin.invites.forUser.query({ userId: userId() }),
    // While the email waits in the outbox, look again until it is delivered or given up.
    refetchInterval: (q: { state: { data?: InvitesForUser } }) => (q.state.data?.latest?.delivery?.status === 'pending' ? 2000 : false),
  }));
}

const STATE_LABELS: Record<InviteState['state'], { label: string; kind: string }> = {
  pending: { label: 'Invite pending', kind: 'pending' },
  accepted: { label: 'Invite accepted', kind: 'active' },
  expired: { label: 'Invite expired', kind: 'inactive' },
  revoked: { label: 'Invite revoked', kind: 'rejected' },
};

type InviteAction = 'send' | 'resend' | 'revoke';

function useInviteActions(user: () => InviteUser) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = createSignal<InviteAction | null>(null);
  const labels: Record<InviteAction, string> = {
    send: 'Invite sent',
    resend: 'A new invite was sent; the previous link no longer works',
    revoke: 'Invite revoked; the link no longer works',
  };
  async function run(action: InviteAction): Promise<boolean> {
    setBusy(action);
    try {
      await trpc.admin.invites[action].mutate({ userId: user().id });
      toast(labels[action], 'success');
      return true;
    } catch (e) {
      toast(errorMessage(e), 'error');
      return false;
    } finally {
      setBusy(null);
      await queryClient.invalidateQueries({ queryKey: userKey(user().id) });
    }
  }
  return { busy, run };
}

/**
 * "More options" on the user's page: Edit user, and Send / Resend / Revoke invite while the user has
 * no password. A small menu button for the page header.
 */
export function UserMoreOptions(props: { user: InviteUser }) {
  const queryClient = useQueryClient();
  const invites = useInvites(() => props.user.id);
  const actions = useInviteActions(() => props.user);
  const [open, setOpen] = createSignal(false);
  const [editing, setEditing] = createSignal(false);
  const [confirm, setConfirm] = createSignal<'resend' | 'revoke' | null>(null);
  let root!: HTMLDivElement;
  let button!: HTMLButtonElement;

  const pending = () => invites.data?.latest?.state === 'pending';
  const canInvite = () => invites.data?.canInvite ?? (props.user.status === 'invited' && !props.user.hasPassword);

  const close = (focusButton = false) => {
    setOpen(false);
    if (focusButton) button.focus();
  };
  const onDocPointer = (e: PointerEvent) => {
    if (open() && !root.contains(e.target as Node)) close();
  };
  onMount(() => document.addEventListener('pointerdown', onDocPointer));
  onCleanup(() => document.removeEventListener('pointerdown', onDocPointer));

  const items = () => root.querySelectorAll<HTMLButtonElement>('[role="menuitem"]');
  const onMenuKey = (e: KeyboardEvent) => {
    const list = Array.from(items());
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      list[(at + 1) % list.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      list[(at - 1 + list.length) % list.length]?.focus();
    } else if (e.key === 'Tab') {
      close();
    }
  };
  const openMenu = () => {
    setOpen(true);
    queueMicrotask(() => items()[0]?.focus());
  };
  const choose = (fn: () => void) => () => {
    close(true);
    fn();
  };

  return (
    <div ref={root} style={{ position: 'relative' }} data-testid="user-more-options">
      <Button ref={button} aria-haspopup="menu" aria-expanded={open()} onClick={() => (open() ? close() : openMenu())}>
        More options <span aria-hidden="true">▾</span>
      </Button>
      <Show when={open()}>
        <div role="menu" aria-label="More options" onKeyDown={onMenuKey} style={MENU_STYLE}>
          <MenuItem onClick={choose(() => setEditing(true))}>Edit user</MenuItem>
          <Show when={canInvite() && !pending()}>
            <MenuItem onClick={choose(() => void actions.run('send'))}>Send invite</MenuItem>
          </Show>
          <Show when={canInvite() && (pending() || invites.data?.latest)}>
            <MenuItem onClick={choose(() => setConfirm('resend'))}>Resend invite</MenuItem>
          </Show>
          <Show when={pending()}>
            <MenuItem danger onClick={choose(() => setConfirm('revoke'))}>
              Revoke invite
            </MenuItem>
          </Show>
        </div>
      </Show>

      <EditUserDialog
        open={editing()}
        user={props.user}
        onClose={() => setEditing(false)}
        onSaved={(r) => {
          toast(`Saved ${r.user.firstName} ${r.user.lastName}`, 'success');
          void queryClient.invalidateQueries({ queryKey: userKey(props.user.id) });
        }}
        onConflict={() => void queryClient.invalidateQueries({ queryKey: userKey(props.user.id) })}
      />
      <Dialog
        open={confirm() !== null}
        title={confirm() === 'revoke' ? 'Revoke the invite?' : 'Send a new invite?'}
        onClose={() => setConfirm(null)}
        footer={
          <>
            <Button onClick={() => setConfirm(null)}>Cancel</Button>
            <Button
              variant={confirm() === 'revoke' ? 'danger' : 'primary'}
              busy={actions.busy() !== null}
              onClick={async () => {
                if (await actions.run(confirm()!)) setConfirm(null);
              }}
            >
              {confirm() === 'revoke' ? 'Revoke invite' : 'Resend invite'}
            </Button>
          </>
        }
      >
        <p>
          {confirm() === 'revoke'
            ? `The link sent to ${props.user.email} stops working at once. You can send a new invite later.`
            : `${props.user.email} gets a new email with a new link. Any earlier link stops working.`}
        </p>
      </Dialog>
    </div>
  );
}

const MENU_STYLE: JSX.CSSProperties = {
  position: 'absolute',
  right: '0',
  top: 'calc(100% + 4px)',
  'min-width': '200px',
  padding: 'var(--space-1)',
  background: 'var(--surface)',
  border: '1px solid var(--border)',
  'border-radius': 'var(--radius)',
  'box-shadow': 'var(--shadow-md)',
  'z-index': '20',
  display: 'flex',
  'flex-direction': 'column',
};

function MenuItem(props: { onClick: () => void; danger?: boolean; children: JSX.Element }) {
  return (
    <button
      type="button"
      role="menuitem"
      class="btn btn-ghost btn-sm"
      style={{ 'justify-content': 'flex-start', width: '100%', color: props.danger ? 'var(--danger)' : undefined }}
      onClick={() => props.onClick()}
    >
      {props.children}
    </button>
  );
}

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
        <div class="timeline-title">
          Sent{i().sentBy ? <span class="muted"> by {i().sentBy!.name}</span> : null}
        </div>
        <When at={i().sentAt} />
      </li>
      <Switch>
        <Match when={d()?.status === 'sent'}>
          <li class="success" data-step="delivered">
            <div class="timeline-title">Delivered to the mail server</div>
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
            <time datetime={i().expiresAt}>{formatDateTime(i().expiresAt)} · {timeAgo(i().expiresAt)}</time>
          </li>
        </Match>
      </Switch>
    </ol>
  );
}
