import { useNavigate } from '@solidjs/router';
import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, createEffect, createSignal, on, type JSX } from 'solid-js';
import type { UserRow } from '../../../shared/schemas/users';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, CheckboxField, Dialog, toast } from '../../ui';
import { PREFERENCES_KEY } from '../query-keys';
import type { PendingSelection } from './pending-selection';
import type { ReviewActions } from './review-actions';
import { QUEUE_KEYS, moveIndex, queueCommand } from './review-keys';

const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;

/** The admin's preference for the single-key shortcuts (on until turned off), from the server. */
export function useShortcutPreference() {
  const queryClient = useQueryClient();
  const prefs = useQuery(() => ({ queryKey: PREFERENCES_KEY, queryFn: () => trpc.admin.preferences.get.query(), staleTime: 60_000 }));
  const [saving, setSaving] = createSignal(false);
  return {
    /** Off until the preference is known: a key must never act against a choice not yet loaded. */
    on: () => prefs.data?.keyboardShortcuts === true,
    known: () => prefs.data !== undefined,
    saving,
    async set(on: boolean) {
      setSaving(true);
      try {
        const next = await trpc.admin.preferences.update.mutate({ keyboardShortcuts: on });
        queryClient.setQueryData(PREFERENCES_KEY, next);
        toast(on ? 'Keyboard shortcuts are on' : 'Keyboard shortcuts are off', 'success');
      } catch (e) {
        toast(errorMessage(e), 'error');
      } finally {
        setSaving(false);
      }
    },
  };
}
export type ShortcutPreference = ReturnType<typeof useShortcutPreference>;

/**
 * The users table as a keyboard review queue. Every row is one Tab stop; arrows, Home/End move
 * between rows, Space selects, Enter opens. On the pending list, with the preference on, single
 * keys act while a row has focus: j/k move, x selects, a activates, r rejects with a reason, o
 * opens the user, ? lists the keys. `a` and `r` act on the selected requests when there are any,
 * otherwise on the focused one. When the decided row leaves the list, focus goes to the row that
 * took its place, so the next key continues the review.
 */
export function createReviewQueue(opts: {
  rows: () => UserRow[];
  selection: PendingSelection;
  actions: ReviewActions;
  /** The pending list: the single keys apply. */
  queue: () => boolean;
  shortcuts: ShortcutPreference;
  /** Says something to screen readers (the page's polite live region). */
  announce: (text: string) => void;
}) {
  const navigate = useNavigate();
  const [helpOpen, setHelpOpen] = createSignal(false);
  let body: HTMLTableSectionElement | undefined;
  /** Where focus should land when the focused row disappears after a decision. */
  let resumeAt: number | null = null;

  const rowEls = () => (body ? [...body.querySelectorAll<HTMLTableRowElement>('tr[data-user-id]')] : []);
  const userOf = (el: HTMLElement) => opts.rows().find((r) => r.id === el.dataset.userId);

  function resume() {
    if (resumeAt === null || opts.actions.dialogsOpen() || helpOpen()) return;
    const active = document.activeElement;
    if (active && active !== document.body && body?.contains(active)) return;
    if (active && active !== document.body && !body?.contains(active)) {
      // Focus went somewhere on purpose (a toast's Undo, the search box): leave it there.
      resumeAt = null;
      return;
    }
    const els = rowEls();
    if (els.length) els[Math.min(resumeAt, els.length - 1)]!.focus();
    resumeAt = null;
  }
  createEffect(on(opts.rows, () => queueMicrotask(resume), { defer: true }));
  createEffect(
    on(
      () => opts.actions.dialogsOpen(),
      (open) => !open && setTimeout(resume, 0),
      { defer: true },
    ),
  );

  function targets(focused: UserRow | undefined): UserRow[] {
    const selected = opts.selection.selected();
    if (selected.length) return selected;
    return focused?.status === 'pending' ? [focused] : [];
  }

  function onKeyDown(e: KeyboardEvent) {
    const target = e.target as HTMLElement;
    const row = target.closest<HTMLTableRowElement>('tr[data-user-id]');
    if (!row || !body?.contains(row)) return;
    const cmd = queueCommand(
      { key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, targetTag: target.tagName, targetEditable: target.isContentEditable },
      opts.queue() && opts.shortcuts.on(),
    );
    if (!cmd) return;
    e.preventDefault();
    const els = rowEls();
    const index = els.indexOf(row);
    const user = userOf(row);
    switch (cmd) {
      case 'next':
      case 'prev':
      case 'first':
      case 'last': {
        const to = els[moveIndex(index, cmd, els.length)];
        to?.focus();
        to?.scrollIntoView({ block: 'nearest' });
        return;
      }
      case 'select': {
        if (!user || user.status !== 'pending') return opts.announce('Only pending requests can be selected');
        const on = !opts.selection.isSelected(user.id);
        opts.selection.toggle(user.id, on);
        const n = opts.selection.selected().length;
        return opts.announce(`${on ? 'Selected' : 'Unselected'} ${fullName(user)}. ${n} selected.`);
      }
      case 'activate':
      case 'reject': {
        const list = targets(user);
        if (!list.length) return opts.announce(`Only pending requests can be ${cmd === 'activate' ? 'activated' : 'rejected'}`);
        resumeAt = index;
        if (cmd === 'activate') opts.actions.activate(list);
        else opts.actions.reject(list);
        return;
      }
      case 'open':
        if (user) navigate(`/admin/users/${user.id}`);
        return;
      case 'help':
        setHelpOpen(true);
        return;
    }
  }

  return {
    ref: (el: HTMLTableSectionElement) => (body = el),
    onKeyDown,
    openHelp: () => setHelpOpen(true),
    HelpDialog: (): JSX.Element => <KeysDialog open={helpOpen()} onClose={() => setHelpOpen(false)} shortcuts={opts.shortcuts} />,
  };
}

/** The ? dialog: the keys, and the switch that turns the single-key shortcuts off (WCAG 2.1.4). */
function KeysDialog(props: { open: boolean; onClose: () => void; shortcuts: ShortcutPreference }): JSX.Element {
  return (
    <Dialog
      open={props.open}
      title="Keyboard shortcuts"
      onClose={props.onClose}
      footer={
        <Button variant="primary" onClick={() => props.onClose()}>
          Done
        </Button>
      }
    >
      <div class="stack" data-testid="keys-help">
        {/* Focus starts on the text, not on the switch below (a stray Space would turn the keys off). */}
        <p class="keys-intro" tabindex="-1" autofocus>
          On the Pending list, while a request has focus (Tab to the list, or click a row):
        </p>
        <table class="table keys-table">
          <caption class="sr-only">Single-key shortcuts</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Does</th>
            </tr>
          </thead>
          <tbody>
            <For each={QUEUE_KEYS}>
              {(k) => (
                <tr>
                  <td>
                    <kbd>{k.key}</kbd>
                  </td>
                  <td>{k.does}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <p class="muted text-sm">
          Always, on every list: ↑ and ↓ move between rows, Home and End go to the first and last, Space selects, Enter opens. Every decision says what it did,
          with Undo.
        </p>
        <CheckboxField
          variant="switch"
          label="Single-key shortcuts"
          name="keyboardShortcuts"
          hint="Turn them off if you use speech input or keys reach the page by accident. Saved for your account."
          checked={() => props.shortcuts.on()}
          disabled={!props.shortcuts.known() || props.shortcuts.saving()}
          onChange={(on) => void props.shortcuts.set(on)}
        />
      </div>
    </Dialog>
  );
}
