import { createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { addToast, type ToastItem, type ToastKind, type ToastOptions } from './toast-list';

export type { ToastAction, ToastKind, ToastOptions } from './toast-list';

const DURATION_MS = 5000;
/** A toast with a button (Undo) stays long enough to reach the button by keyboard. */
const ACTION_DURATION_MS = 10_000;
const MAX_TOASTS = 4;

const [toasts, setToasts] = createSignal<ToastItem[]>([]);
/** Each toast's timer: time left, and when it last started counting down (null while paused). */
const timers = new Map<number, { left: number; since: number | null; handle?: ReturnType<typeof setTimeout> }>();
let paused = false;
let nextId = 1;

function startTimer(id: number, ms: number) {
  clearTimer(id);
  const t: { left: number; since: number | null; handle?: ReturnType<typeof setTimeout> } = { left: ms, since: null };
  timers.set(id, t);
  if (!paused) resume(id);
}

function resume(id: number) {
  const t = timers.get(id);
  if (!t || t.since !== null) return;
  t.since = Date.now();
  t.handle = setTimeout(() => dismissToast(id), t.left);
}

function clearTimer(id: number) {
  const t = timers.get(id);
  if (t?.handle !== undefined) clearTimeout(t.handle);
  timers.delete(id);
}

/** Hover or focus on the toasts stops every countdown; leaving restarts them with the time they had left (WCAG 2.2.1). */
function setPaused(on: boolean) {
  if (paused === on) return;
  paused = on;
  for (const [id, t] of timers) {
    if (on && t.since !== null) {
      clearTimeout(t.handle);
      t.left = Math.max(1000, t.left - (Date.now() - t.since));
      t.since = null;
    } else if (!on) resume(id);
  }
}

/**
 * Shows a toast; it disappears after 5 s (10 s with an action), never while the pointer or focus is
 * on the toasts. Toasts of one `group` collapse into one counter ("3 new registrations"). Errors
 * are announced assertively (role=alert), the rest politely. Returns the toast's id.
 */
export function toast(message: string, kind: ToastKind = 'info', opts: ToastOptions = {}): number {
  const item: ToastItem = {
    id: nextId++,
    message,
    kind,
    group: opts.group,
    count: Math.max(1, opts.count ?? 1),
    summary: opts.summary,
    action: opts.action,
    silent: !!opts.silent,
  };
  let kept = item;
  setToasts((list) => {
    const r = addToast(list, item, MAX_TOASTS);
    r.dropped.forEach(clearTimer);
    kept = r.kept;
    return r.list;
  });
  startTimer(kept.id, kept.action ? ACTION_DURATION_MS : DURATION_MS);
  return kept.id;
}

export function dismissToast(id: number): void {
  clearTimer(id);
  setToasts((list) => list.filter((t) => t.id !== id));
}

function ToastView(props: { t: ToastItem }) {
  const [running, setRunning] = createSignal(false);
  return (
    <div class={`toast toast-${props.t.kind}`} data-testid="toast" data-group={props.t.group}>
      <span class="toast-message">{props.t.message}</span>
      <Show when={props.t.action}>
        {(a) => (
          <button
            type="button"
            class="toast-action"
            disabled={running()}
            onClick={() => {
              setRunning(true);
              const id = props.t.id;
              void Promise.resolve(a().run()).finally(() => dismissToast(id));
            }}
          >
            {a().label}
          </button>
        )}
      </Show>
      <button type="button" class="toast-close" aria-label="Dismiss notification" onClick={() => dismissToast(props.t.id)}>
        ×
      </button>
    </div>
  );
}

/** The toasts themselves, in three regions: errors (role=alert), the rest (polite status), and silent ones (not live). */
function ToastRegions(): JSX.Element {
  const of = (f: (t: ToastItem) => boolean) => toasts().filter(f);
  return (
    <>
      <div role="alert" class="toast-region">
        <For each={of((t) => t.kind === 'error')}>{(t) => <ToastView t={t} />}</For>
      </div>
      <div role="status" aria-live="polite" class="toast-region">
        <For each={of((t) => t.kind !== 'error' && !t.silent)}>{(t) => <ToastView t={t} />}</For>
      </div>
      <div class="toast-region">
        <For each={of((t) => t.kind !== 'error' && t.silent)}>{(t) => <ToastView t={t} />}</For>
      </div>
    </>
  );
}

const [docks, setDocks] = createSignal(0);

function pauseHandlers(el: HTMLElement) {
  const on = () => setPaused(true);
  const off = () => setPaused(el.matches(':hover') || el.contains(document.activeElement));
  el.addEventListener('pointerenter', on);
  el.addEventListener('pointerleave', off);
  el.addEventListener('focusin', on);
  el.addEventListener('focusout', () => queueMicrotask(off));
  onCleanup(() => setPaused(false));
}

/**
 * Mount once near the app root: toasts float bottom-right, except while a ToastDock is mounted
 * (the admin sidebar), which shows them in its flow instead, so they never cover a page's controls.
 */
export function Toaster(): JSX.Element {
  let el!: HTMLDivElement;
  onMount(() => pauseHandlers(el));
  return (
    <div class="toaster" ref={el} hidden={docks() > 0}>
      <Show when={docks() === 0}>
        <ToastRegions />
      </Show>
    </div>
  );
}

/** Where toasts go while mounted (the admin sidebar, below its links): in the flow, covering nothing. */
export function ToastDock(): JSX.Element {
  let el!: HTMLDivElement;
  setDocks((n) => n + 1);
  onCleanup(() => setDocks((n) => n - 1));
  onMount(() => pauseHandlers(el));
  return (
    <div class="toast-dock" ref={el} data-testid="toast-dock">
      <ToastRegions />
    </div>
  );
}
