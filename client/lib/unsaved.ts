import { useBeforeLeave } from '@solidjs/router';
import { onCleanup, onMount } from 'solid-js';

export const UNSAVED_QUESTION = 'You have unsaved changes. Leave this page without saving them?';

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
