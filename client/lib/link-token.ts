/**
 * One-time tokens in emailed links travel in the URL fragment (`/reset-password#token=…`), which
 * browsers never send to servers or proxies. A page takes its token once, then removes it from the
 * address bar (history, bookmarks, screenshots, the Referer of a later navigation).
 *
 * Links mailed before the fragment came in carry the token in the query (`?token=`, `/register?invite=`):
 * they still work once; the token is taken from the query and removed from the address bar the same way.
 */
const taken = new Map<string, string>();
let watching = false;

/**
 * Opening another emailed link in a tab already on that page changes only the fragment, which
 * browsers treat as a move within the page (no reload): load the page again so it takes the new token.
 */
function reloadOnNewLink(name: string) {
  if (watching) return;
  watching = true;
  window.addEventListener('hashchange', () => {
    if (new URLSearchParams(location.hash.slice(1)).has(name)) location.reload();
  });
}

export function takeLinkToken(name: string, legacyQueryName: string = name): string {
  reloadOnNewLink(name);
  const key = `${location.pathname}:${name}`;
  const fragment = new URLSearchParams(location.hash.slice(1)).get(name);
  const query = new URLSearchParams(location.search);
  const token = fragment ?? query.get(legacyQueryName);
  if (token !== null) {
    taken.set(key, token);
    query.delete(legacyQueryName);
    const search = query.toString();
    history.replaceState(history.state, '', location.pathname + (search ? `?${search}` : ''));
  }
  // A page component created again (e.g. after a lazy load) gets the token it already took.
  return token ?? taken.get(key) ?? '';
}
