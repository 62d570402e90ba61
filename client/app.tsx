import { ErrorBoundary } from 'solid-js';
import { Router } from '@solidjs/router';
import { ErrorPage } from './ErrorPage';
import { Toaster } from './ui';
import { routes } from './routes';
import { RootLayout } from './RootLayout';

export function App() {
  return (
    <>
      {/* Never a blank screen: a render error or a page whose code cannot be loaded shows a friendly page with a retry. */}
      <ErrorBoundary fallback={(error: unknown, reset) => <ErrorPage error={error} reset={reset} />}>
        <Router root={RootLayout}>{routes}</Router>
      </ErrorBoundary>
      <Toaster />
    </>
  );
}
