/** ARIA tabs (one Tab stop, arrows between tabs): the tab to move to after a key, or null. */
export function tabIndexAfterKey(key: string, current: number, count: number): number | null {
  if (key === 'ArrowRight') return (current + 1) % count;
  if (key === 'ArrowLeft') return (current - 1 + count) % count;
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return null;
}

/**
 * The keydown handler of a tablist whose tabs carry `data-tab` ids: arrows, Home and End select
 * the tab and move focus to it (automatic activation). Give the selected tab tabindex=0 and the
 * others -1, so the list is one Tab stop.
 */
export function tabListKeyDown(e: KeyboardEvent, ids: readonly string[], current: string, select: (id: string) => void): void {
  const to = tabIndexAfterKey(e.key, Math.max(0, ids.indexOf(current)), ids.length);
  if (to === null) return;
  e.preventDefault();
  const id = ids[to]!;
  select(id);
  (e.currentTarget as HTMLElement).querySelector<HTMLElement>(`[data-tab="${id}"]`)?.focus();
}
