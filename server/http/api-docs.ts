import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendFile } from './static.js';

/*
 * The REST API's reference page (/api/docs): Redoc's standalone browser bundle, served from
 * node_modules (no CDN), reading /api/v1/openapi.json. The page has no inline script: the bundle
 * finds the <redoc spec-url> element itself. Redoc styles itself with injected <style> elements
 * (hence 'unsafe-inline' for styles only) and runs its search index in a worker made from a blob.
 */

export const API_DOCS_PATH = '/api/docs';
const BUNDLE_PATH = '/api/docs/redoc.standalone.js';

const require = createRequire(import.meta.url);
let bundleFile: string | null | undefined;
function redocBundle(): string | null {
  if (bundleFile === undefined) {
    try {
      bundleFile = require.resolve('redoc/bundles/redoc.standalone.js');
      if (!existsSync(bundleFile)) bundleFile = null;
    } catch {
      bundleFile = null;
    }
  }
  return bundleFile;
}

export const API_DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Admit REST API reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <redoc spec-url="/api/v1/openapi.json" hide-download-button="false" expand-responses="200,201" required-props-first="true" sort-props-alphabetically="false"></redoc>
    <script src="${BUNDLE_PATH}"></script>
  </body>
</html>
`;

const BASE_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' };

/** True when it answered: the page, its script, or 405/404/503 for those two addresses. */
export function handleApiDocs(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (pathname !== API_DOCS_PATH && pathname !== `${API_DOCS_PATH}/` && pathname !== BUNDLE_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', ...BASE_HEADERS }).end();
    return true;
  }
  if (pathname === BUNDLE_PATH) {
    const file = redocBundle();
    if (!file) {
      res
        .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', ...BASE_HEADERS })
        .end('The API reference bundle (redoc) is not installed. Run `npm install`.');
      return true;
    }
    sendFile(req, res, file, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', ...BASE_HEADERS });
    return true;
  }
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(PAGE)),
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': API_DOCS_CSP,
    'X-Frame-Options': 'DENY',
    ...BASE_HEADERS,
  });
  res.end(req.method === 'HEAD' ? undefined : PAGE);
  return true;
}
