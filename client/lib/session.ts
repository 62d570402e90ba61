import { createResource, createRoot } from 'solid-js';
import { trpc } from './trpc';

// One shared "who am I" resource for every page. Kept outside solid-query so the first visit
// (login, setup) loads as little JavaScript as possible; admin pages use solid-query for their data.
const store = createRoot(() => {
  const [me, { refetch, mutate }] = createResource(() => trpc.auth.me.query());
  return { me, refetch, mutate };
});

/** Who is logged in, whether the portal still needs its first admin, and its public settings. */
export function useMe() {
  return {
    get data() {
      return store.me.state === 'ready' || store.me.state === 'refreshing' ? store.me() : undefined;
    },
    get isError() {
      return store.me.state === 'errored';
    },
    get error() {
      return store.me.error as unknown;
    },
  };
}

export function refreshMe() {
  return store.refetch();
}

/**
 * After login or logout the browser's cookie changed: a full navigation gives the new session a
 * clean slate (fresh caches and a fresh WebSocket carrying the new cookie).
 */
export function hardNavigate(path: string) {
  window.location.assign(path);
}
