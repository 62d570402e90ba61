import { useQueryClient } from '@tanstack/solid-query';
import { Show, createSignal, onCleanup, onMount, type JSX } from 'solid-js';
import { Button, Dialog, toast } from '../../ui';
import { userKey } from '../query-keys';
import { EditUserDialog } from './EditUserDialog';
import { type InviteUser, useInviteActions, useInvites } from './invites';

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
  const runConfirmed = async () => {
    if (await actions.run(confirm()!)) setConfirm(null);
  };
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
        More Options <span aria-hidden="true">▾</span>
      </Button>
      <Show when={open()}>
        <div role="menu" aria-label="More Options" onKeyDown={onMenuKey} style={MENU_STYLE}>
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
            <Button variant={confirm() === 'revoke' ? 'danger' : 'primary'} busy={actions.busy() !== null} onClick={() => void runConfirmed()}>
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
