/**
 * The pending review queue's keys (no DOM: unit-tested on its own). Single-character keys act only
 * while focus is on a row of the queue, never while typing in a field, and only when the admin has
 * not turned them off (WCAG 2.1.4); arrows, Home/End and Space are ordinary row navigation and
 * always work.
 */

export type QueueCommand = 'next' | 'prev' | 'first' | 'last' | 'select' | 'activate' | 'reject' | 'open' | 'help';

/** The single-key shortcuts, as the help dialog lists them. */
export const QUEUE_KEYS: readonly { key: string; command: QueueCommand; does: string }[] = [
  { key: 'j', command: 'next', does: 'Next request' },
  { key: 'k', command: 'prev', does: 'Previous request' },
  { key: 'x', command: 'select', does: 'Select or unselect the request' },
  { key: 'a', command: 'activate', does: 'Activate (the selected requests, or this one)' },
  { key: 'r', command: 'reject', does: 'Reject with a reason (the selected requests, or this one)' },
  { key: 'o', command: 'open', does: "Open the user's page" },
  { key: '?', command: 'help', does: 'Show these keys' },
];

const ALWAYS: Record<string, QueueCommand> = { ArrowDown: 'next', ArrowUp: 'prev', Home: 'first', End: 'last', ' ': 'select' };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The element the key went to: its tag name and whether it is editable. */
  targetTag?: string;
  targetEditable?: boolean;
}

/** What a key press on the queue does, or null (let the browser have it). */
export function queueCommand(e: KeyLike, shortcutsOn: boolean): QueueCommand | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const tag = (e.targetTag ?? '').toUpperCase();
  if (e.targetEditable || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return null;
  const always = ALWAYS[e.key];
  if (always) return always;
  if (!shortcutsOn) return null;
  return QUEUE_KEYS.find((k) => k.key === e.key)?.command ?? null;
}

/** The row index after a move command, staying inside the list. */
export function moveIndex(current: number, command: QueueCommand, length: number): number {
  if (length === 0) return -1;
  if (command === 'first') return 0;
  if (command === 'last') return length - 1;
  if (current < 0) return 0;
  const next = command === 'next' ? current + 1 : command === 'prev' ? current - 1 : current;
  return Math.min(length - 1, Math.max(0, next));
}

/** The status tabs' arrow keys (ARIA tabs pattern), shared with every tab list. */
export { tabIndexAfterKey } from '../../ui/tabs';
