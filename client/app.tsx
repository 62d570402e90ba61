import { Router } from '@solidjs/router';
import { Toaster } from './ui';
import { routes } from './routes';

export function App() {
  return (
    <>
      <Router>{routes}</Router>
      <Toaster />
    </>
  );
}
