import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

const apiTarget = process.env.ADMIT_API_URL ?? 'http://127.0.0.1:3001';

export default defineConfig({
  root: 'client',
  publicDir: 'public',
  plugins: [solid()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    rolldownOptions: {
      // @trpc/client declares no sideEffects: without this, its index drags the WebSocket link
      // (loaded lazily by client/lib/trpc.ts) into the first visit.
      treeshake: { moduleSideEffects: (id: string) => !id.includes('/node_modules/@trpc/client/') },
    },
  },
  server: {
    // `npm run dev`: Vite serves the client with hot reload; the API (HTTP and WebSocket) is proxied.
    proxy: {
      '/trpc': { target: apiTarget, ws: true },
      '/healthz': { target: apiTarget },
    },
  },
  test: {
    root: '.',
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two cores: two test files at a time, each with its own database and server.
    maxWorkers: 2,
    projects: [
      {
        // Not `extends`: the Solid plugin would make packages like ws resolve to their browser builds.
        test: {
          name: 'node',
          root: '.',
          environment: 'node',
          include: ['test/server/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/security/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          // Test files in one worker share the module cache: evaluating the server's modules again for
          // each of the ~130 files cost 388 s of import time per run (27 s shared). Safe because the
          // server keeps its state per app (WeakMaps keyed by AppServices, each file starts its own
          // apps) and its module-level values are immutable caches (compiled templates, dictionaries);
          // the metrics registry is shared, and the metrics tests read deltas.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // expect.poll waits up to 10 s (default 1 s): the first email of a process now compiles the
          // templates (MJML loads lazily), which takes over a second on this shared 2-core machine.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        extends: true,
        test: {
          name: 'jsdom',
          root: '.',
          environment: 'jsdom',
          include: ['test/client/**/*.test.{ts,tsx}'],
        },
        resolve: { conditions: ['development', 'browser'] },
      },
    ],
  },
});
