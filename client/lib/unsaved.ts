import { useBeforeLeave } from '@solidjs/router';
import { createSignal, onCleanup, onMount } from 'solid-js';
import { sameValue } from './equal';

export const UNSAVED_QUESTION = 'You have unsaved changes. Leave this page without saving them?';
/** Closing a dialog (Cancel, Escape, the × button or the backdrop) with a form in it that has changes. */
export const DISCARD_QUESTION = 'You have unsaved changes. Close without saving them?';

/**
 * Whether `values` differ by content from what the server holds: the values at creation, then
 * those at each `markSaved()` (call it after a successful save). Editing back to the saved values,
 * or a list rebuilt with the same items, is no change (see sameValue). Values must be replaced,
 * never mutated in place (createForm and signals of arrays do so).
 */
export function createSavedState<V>(values: () => V) {
  const [saved, setSaved] = createSignal<V>(values());
  return {
    dirty: () => !sameValue(values(), saved()),
    markSaved: () => setSaved(() => values()),
  };
}

/**
 * A settings form's unsaved changes: `dirty()` to show "Unsaved changes", `markSaved()` after a
 * successful save, and the question before leaving the page while dirty (useUnsavedChangesGuard).
 */
export function useUnsavedChanges<V>(values: () => V) {
  const state = createSavedState(values);
  useUnsavedChangesGuard(state.dirty);
  return state;
}

/**
 * Asks before leaving a page with unsaved changes: another page of the app (the router's
 * before-leave hook, answered with the browser's confirm box) or the browser itself (closing the
 * tab, reloading, typing an address: beforeunload, where the browser words the question).
 */
export function useUnsavedChangesGuard(dirty: () => boolean) {
  useBeforeLeave((e) => {
    if (!dirty() || e.defaultPrevented) return;
    e.preventDefault();
    if (window.confirm(UNSAVED_QUESTION)) e.retry(true);
  });
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!dirty()) return;
    // preventDefault is the standard way; browsers show their own wording.
    e.preventDefault();
  };
  onMount(() => window.addEventListener('beforeunload', onBeforeUnload));
  onCleanup(() => window.removeEventListener('beforeunload', onBeforeUnload));
}
