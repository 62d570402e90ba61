import { ChunkLoadError, CHUNK_RELOAD_KEY } from './lazy-page';

/**
 * What the ErrorBoundary shows instead of a blank screen: a friendly page with a retry. For code
 * that could not be loaded (a new version was deployed), the retry reloads the page.
 */
export function ErrorPage(props: { error: unknown; reset: () => void }) {
  const chunk = () => props.error instanceof ChunkLoadError;
  const retry = () => {
    if (chunk()) {
      try {
        sessionStorage.removeItem(CHUNK_RELOAD_KEY);
      } catch {
        /* private mode */
      }
      window.location.reload();
    } else props.reset();
  };
  return (
    <main class="auth-page" data-testid="error-page" role="alert">
      <div class="card" style={{ 'max-width': '32rem', margin: '4rem auto', padding: '2rem' }}>
        <h1>{chunk() ? 'A new version is available' : 'Something went wrong'}</h1>
        <p>
          {chunk()
            ? 'This page could not be loaded, probably because the site was just updated. Loading it again usually fixes it.'
            : 'This page hit an unexpected problem. Your data is safe; try again, or go back to the start page.'}
        </p>
        <p style={{ display: 'flex', gap: '0.5rem' }}>
          <button type="button" class="btn btn-primary" onClick={retry}>
            Try again
          </button>
          <a class="btn" href="/">
            Go to the start page
          </a>
        </p>
      </div>
    </main>
  );
}
