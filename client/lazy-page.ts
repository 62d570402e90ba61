import { lazy, type Component } from 'solid-js';

/** sessionStorage key: when this tab last reloaded because a page's code could not be loaded. */
export const CHUNK_RELOAD_KEY = 'admit:chunk-reload-at';
/** At most one automatic reload in this window, so a chunk that stays missing cannot loop. */
export const CHUNK_RELOAD_WINDOW_MS = 30_000;

/** Marks an error as "the page's code could not be loaded" (the ErrorBoundary offers a reload). */
export class ChunkLoadError extends Error {
  override readonly name = 'ChunkLoadError';
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/**
 * A tab opened before a deploy asks for code files (chunks) the new build no longer has: the
 * dynamic import rejects. Reload once (the new index.html names the new files); if that already
 * happened in the last 30 s, throw instead, and the ErrorBoundary shows a friendly page with a retry.
 */
function reloadOnceOrThrow(error: unknown): Promise<never> {
  const s = storage();
  const last = Number(s?.getItem(CHUNK_RELOAD_KEY) ?? 0);
  if (s && Date.now() - last > CHUNK_RELOAD_WINDOW_MS) {
    s.setItem(CHUNK_RELOAD_KEY, String(Date.now()));
    window.location.reload();
    // Never settles: the page is going away.
    return new Promise<never>(() => undefined);
  }
  return Promise.reject(new ChunkLoadError(`This page could not be loaded (${error instanceof Error ? error.message : String(error)})`));
}

/** solid's lazy(), with the reload-once rule for a chunk that failed to load. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- solid-js's own lazy() takes Component<any>: a page may declare any props
export function lazyPage<T extends Component<any>>(load: () => Promise<{ default: T }>): T & { preload: () => Promise<{ default: T }> } {
  return lazy(() => load().catch(reloadOnceOrThrow));
}
