/** The toasts on screen and how a new one joins them (no DOM, no timers: unit-tested on its own). */

export type ToastKind = 'info' | 'success' | 'error';

export interface ToastAction {
  /** The button's text, e.g. "Undo". */
  label: string;
  run: () => void | Promise<void>;
}

export interface ToastOptions {
  /** Toasts of one group collapse into one: their counts add up and `summary(count)` becomes the text. */
  group?: string;
  /** How many things this toast stands for (default 1), e.g. a burst of registrations. */
  count?: number;
  /** The collapsed text for a count above 1, e.g. (n) => `${n} new registrations`. */
  summary?: (count: number) => string;
  /** One button beside the text (e.g. Undo); the toast stays longer. */
  action?: ToastAction;
  /** Shown but not announced: another live region on the page already says it. */
  silent?: boolean;
}

export interface ToastItem {
  id: number;
  message: string;
  kind: ToastKind;
  group?: string;
  count: number;
  summary?: (count: number) => string;
  action?: ToastAction;
  silent: boolean;
}

/**
 * Adds `item` to the list. A toast of the same group already on screen absorbs it (the counts add
 * up, the text becomes the summary, the id stays so its timer can restart); otherwise it joins at
 * the end and the oldest beyond `max` are dropped.
 */
export function addToast(list: readonly ToastItem[], item: ToastItem, max: number): { list: ToastItem[]; kept: ToastItem; dropped: number[] } {
  const same = item.group === undefined ? undefined : list.find((t) => t.group === item.group);
  if (same) {
    const count = same.count + item.count;
    const kept: ToastItem = { ...same, count, kind: item.kind, message: (item.summary ?? same.summary)?.(count) ?? item.message, action: undefined };
    return { list: list.map((t) => (t.id === same.id ? kept : t)), kept, dropped: [] };
  }
  const kept = item.count > 1 && item.summary ? { ...item, message: item.summary(item.count) } : item;
  const next = [...list, kept];
  const over = Math.max(0, next.length - max);
  return { list: next.slice(over), kept, dropped: next.slice(0, over).map((t) => t.id) };
}
