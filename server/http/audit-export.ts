import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import type { AppServices } from '../app-services.js';
import { AUDIT_EXPORT_PATH, AUDIT_FILTER_KEYS, auditFilterSchema } from '../../shared/schemas/audit.js';
import { writeAuditCsv } from '../audit/audit.service.js';
import { checkCookieHeader, refuse } from './guard.js';

export { AUDIT_EXPORT_PATH };

/**
 * GET /exports/audit-log.csv?actor=…&action=…: the audit log's filtered view as CSV, streamed.
 * Same rules as an admin procedure: an active admin's session cookie (validated like every call),
 * no forced password change pending. It changes nothing, but it is still refused when the browser
 * says the request comes from another site (`originOk`: the Origin / Fetch Metadata check every
 * /trpc mutation gets), so another site cannot even start a download with the admin's cookie.
 */
export async function handleAuditExport(app: AppServices, req: IncomingMessage, res: ServerResponse, url: URL, originOk: boolean): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return refuse(res, 405, 'Method not allowed');
  }
  if (!originOk) return refuse(res, 403, 'Cross-origin request refused');
  const cookies = checkCookieHeader(req.headers.cookie);
  if (!cookies.ok) return refuse(res, 400, cookies.error);
  const token = app.sessions.readCookie(req.headers.cookie);
  const valid = token ? await app.sessions.validate(token) : null;
  const user = valid?.user;
  if (!user) return refuse(res, 401, 'Please log in');
  if (user.role !== 'admin' || user.status !== 'active' || user.mustChangePassword) return refuse(res, 403, 'Administrators only');

  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (!(AUDIT_FILTER_KEYS as readonly string[]).includes(k)) return refuse(res, 400, `Unknown filter: ${k.slice(0, 40)}`);
    if (k in raw) return refuse(res, 400, `Filter given twice: ${k}`);
    if (v !== '') raw[k] = v;
  }
  const parsed = z.safeParse(auditFilterSchema, raw);
  if (!parsed.success) return refuse(res, 400, parsed.error.issues.map((i) => i.message).join('; '));

  const stamp = app.clock.now().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  res.writeHead(200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="audit-log-${stamp}.csv"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  // A client that goes away ends the export: the pipeline stops reading from the database.
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    await writeAuditCsv(app, parsed.data, res, { signal: abort.signal });
  } catch (e) {
    if (!abort.signal.aborted) app.log.error('audit export failed', { error: e as Error });
    res.destroy();
  }
}
