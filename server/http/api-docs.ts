import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/*
 * The REST API's reference page (/api/docs): Redoc's standalone browser bundle, served from
 * node_modules (no CDN), reading /api/v1/openapi.json. The page has no inline script: the bundle
 * finds the <redoc spec-url> element itself. Redoc styles itself with injected <style> elements
 * (hence 'unsafe-inline' for styles only) and runs its search index in a worker made from a blob.
 * The bundle is served as installed but for one string: its side menu's footer shows Redocly's
 * logo from cdn.redoc.ly, which becomes an empty data: URL (the image then hides itself), so the
 * page loads nothing from another origin.
 */

export const API_DOCS_PATH = '/api/docs';
const BUNDLE_PATH = '/api/docs/redoc.standalone.js';
const CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';

const require = createRequire(import.meta.url);

interface Bundle {
  plain: Buffer;
  gzip: Buffer;
  etag: string;
}
let bundle: Bundle | null | undefined;

/** Redoc's standalone bundle from node_modules, read and compressed once (null when redoc is not installed). */
function redocBundle(): Bundle | null {
  if (bundle === undefined) {
    try {
      const text = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8').split(CDN_LOGO).join('data:,');
      const plain = Buffer.from(text);
      bundle = { plain, gzip: gzipSync(plain), etag: `"${createHash('sha256').update(plain).digest('base64url').slice(0, 27)}"` };
    } catch {
      bundle = null;
    }
  }
  return bundle;
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
    <redoc spec-url="/api/v1/openapi.json" expand-responses="200,201" required-props-first="true"></redoc>
    <script src="${BUNDLE_PATH}"></script>
  </body>
</html>
`;

const BASE_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' };

function sendBundle(req: IncomingMessage, res: ServerResponse): void {
  const b = redocBundle();
  if (!b) {
    res
      .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', ...BASE_HEADERS })
      .end('The API reference bundle (redoc) is not installed. Run `npm install`.');
    return;
  }
  const headers: Record<string, string> = {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600',
    ETag: b.etag,
    Vary: 'Accept-Encoding',
    ...BASE_HEADERS,
  };
  if (req.headers['if-none-match'] === b.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? b.gzip : b.plain;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** True when it answered: the page, its script, or 405/503 for those addresses. */
export function handleApiDocs(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (pathname !== API_DOCS_PATH && pathname !== `${API_DOCS_PATH}/` && pathname !== BUNDLE_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', ...BASE_HEADERS }).end();
    return true;
  }
  if (pathname === BUNDLE_PATH) {
    sendBundle(req, res);
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
