import { createSignal, For, type JSX } from 'solid-js';

type ToastKind = 'info' | 'success' | 'error';

interface ToastItem {
  id: number;
  message: string;
  kind: ToastKind;
}

const DURATION_MS = 5000;
const MAX_TOASTS = 5;

const [toasts, setToasts] = createSignal<ToastItem[]>([]);
const timers = new Map<number, ReturnType<typeof setTimeout>>();
let nextId = 1;

/** Show a toast; it disappears after 5 s. Returns its id (for dismissToast). */
export function toast(message: string, kind: ToastKind = 'info'): number {
  const id = nextId++;
  setToasts((list) => {
    const next = [...list, { id, message, kind }];
    for (const dropped of next.slice(0, Math.max(0, next.length - MAX_TOASTS))) clearTimer(dropped.id);
    return next.slice(-MAX_TOASTS);
  });
  timers.set(
    id,
    setTimeout(() => dismissToast(id), DURATION_MS),
  );
  return id;
}

function clearTimer(id: number) {
  const t = timers.get(id);
  if (t !== undefined) clearTimeout(t);
  timers.delete(id);
}

function dismissToast(id: number): void {
  clearTimer(id);
  setToasts((list) => list.filter((t) => t.id !== id));
}

/** Mount once near the app root. A polite live region stacked bottom-right. */
export function Toaster(): JSX.Element {
  return (
    <div class="toaster" role="status" aria-live="polite" aria-relevant="additions text">
      <For each={toasts()}>
        {(t) => (
          <div class={`toast toast-${t.kind}`}>
            <span class="toast-message">{t.message}</span>
            <button type="button" class="toast-close" aria-label="Dismiss notification" onClick={() => dismissToast(t.id)}>
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
