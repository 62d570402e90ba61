/**
 * dependency-cruiser rules for Admit (`npm run lint:deps`).
 *
 * Three rules keep the structure issue 9 gave the tree:
 *   1. no-server-folder-cycles — the server's top-level folders (users/, auth/, mail/, …) form
 *      no cycle. This is dependency-cruiser's folder-level cycle detection (`scope: 'folder'`):
 *      every folder is a node, an import between two files is an edge between their folders,
 *      so `users/a.ts → auth/b.ts` plus `auth/c.ts → users/d.ts` is caught even when no two
 *      files import each other.
 *   2. no-file-cycles — no file-level cycle anywhere (server, client, shared, emails).
 *   3. trpc-stays-at-the-edge — only the transport layer knows tRPC: nothing outside
 *      server/trpc/, server/http/, *.router.ts and events/subscription.ts imports @trpc/server
 *      or reaches server/trpc/, directly or through any chain of imports.
 *
 * The aggregating router server/trpc/router.ts is the one planned exception to rule 1: it
 * imports every domain's router, and every router imports trpc/init.ts, so with it in the
 * folder graph trpc/ would close a cycle with every domain folder and make every other folder
 * edge look circular too. Folder rules cannot express exceptions (`via` is module-only), so
 * router.ts is listed in `doNotFollow`: it stays in the graph as a module that others import
 * (client's AppRouter type, http/), but its own imports are not followed and it is left out
 * of the folder graph. Rule 4 (nothing imports the router except the transport and the
 * composition root) makes sure no file cycle can run through it unseen.
 */
'use strict';

// Files that may know tRPC: the tRPC setup, the HTTP/WebSocket server that mounts it, the
// routers and the subscription generator.
const TRPC_EDGE = ['^server/trpc/', '^server/http/', '^server/.+\\.router\\.ts$', '^server/events/subscription\\.ts$'];

// The composition root: it starts the HTTP server (server/http/), so it reaches tRPC by
// construction. It is exempt from the transitive part of rule 3 only.
const COMPOSITION_ROOT = ['^server/(app|main|start|dev)\\.ts$'];

const TRPC_MODULES = ['^server/trpc/', '(^|/)node_modules/@trpc/server/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-server-folder-cycles',
      comment:
        'Two server folders depend on each other (possibly through others). Move the shared piece ' +
        'to the folder that owns it, or have the caller pass the value in (issue 9, item 3).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^server/[^/]+$' },
      to: { path: '^server/', circular: true },
    },
    {
      name: 'no-file-cycles',
      comment: 'This import is part of a file-level cycle. Break it (move the shared part into its own module).',
      severity: 'error',
      from: { path: '^(server|client|shared|emails)/' },
      to: { circular: true },
    },
    {
      name: 'trpc-stays-at-the-edge',
      comment:
        'Only server/trpc/, server/http/, *.router.ts and events/subscription.ts may know tRPC. ' +
        'Services and repositories throw AppError from server/errors.ts; the tRPC error formatter maps it.',
      severity: 'error',
      from: { path: '^(server|shared|emails)/', pathNot: [...TRPC_EDGE, ...COMPOSITION_ROOT] },
      to: { path: TRPC_MODULES, reachable: true },
    },
    {
      // The composition root may reach tRPC through http/, but must not import it itself.
      name: 'trpc-not-in-composition-root',
      comment: 'The composition root starts the HTTP server; it does not import tRPC itself.',
      severity: 'error',
      from: { path: COMPOSITION_ROOT },
      to: { path: TRPC_MODULES },
    },
    {
      // Keeps cycles through the not-followed router.ts impossible (see the header).
      name: 'app-router-imported-only-at-the-edge',
      comment: 'server/trpc/router.ts aggregates every router; only the HTTP server (and the client, for ' + 'the AppRouter type) may import it.',
      severity: 'error',
      from: { pathNot: ['^server/http/', '^client/', '^test/'] },
      to: { path: '^server/trpc/router\\.ts$' },
    },
    {
      // The client knows the server only through the AppRouter type (erased at build time).
      name: 'client-imports-server-types-only',
      comment: 'The client may import only the AppRouter type from the server (import type).',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^server/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Node modules are leaves: seen (so @trpc/server can be matched), not followed.
    // router.ts: see the header.
    doNotFollow: { path: ['node_modules', '^server/trpc/router\\.ts$'] },
    exclude: { path: ['^dist/', '^\\.data/', '^test/artifacts/', '^client/public/'] },
    // Type-only imports count: a type cycle is still a structure cycle, and the client's
    // AppRouter import is type-only.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
