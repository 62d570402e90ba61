import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { apiEmptyBody } from '../../shared/schemas/api.js';
import { AppError } from '../errors.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/faults.js';
import { authenticateApiRequest, hasScope } from '../api-tokens/api-tokens.service.js';
import { runAsApiToken, type ApiPrincipal } from '../events/actor-context.js';
import { getUserDetail } from '../users/users.repository.js';
import { clientIp } from '../security/client-ip.js';
import { OPERATIONS, versionedResource, type HttpMethod, type Operation } from './operations.js';
import { openApiDocument, queryParameterSchemas } from './openapi.js';
import { buildProblem, issuesToErrors, problemFromAppError, ProblemException, sendProblem, type ProblemInit } from './problem.js';

/*
 * The REST edge (/api/v1): route → token → scope → If-Match → query, path and body → one service
 * call → JSON. Nothing here decides anything about users, organisations or settings: every rule
 * is in the shared schemas and the services, exactly as for the tRPC procedures.
 */

export const API_PREFIX = '/api/v1';
/** Request bodies above this are refused with 413 (the largest legitimate one, the settings with 200 domains, is ~52 KB). */
export const MAX_BODY_BYTES = 64 * 1024;

interface Route {
  operation: Operation;
  segments: string[];
}

/** Matches a path against the table; literal segments win over parameters (so /invites/resend is not an invite id). */
function compile(operations: Operation[]) {
  const routes: Route[] = operations.map((operation) => ({ operation, segments: operation.path.split('/').slice(1) }));
  const score = (r: Route) => r.segments.map((s) => (s.startsWith('{') ? '1' : '0')).join('');
  routes.sort((a, b) => score(a).localeCompare(score(b)));
  return function match(path: string): { byMethod: Map<HttpMethod, { operation: Operation; raw: Record<string, string> }> } {
    const parts = path.split('/').slice(1);
    const byMethod = new Map<HttpMethod, { operation: Operation; raw: Record<string, string> }>();
    for (const r of routes) {
      if (r.segments.length !== parts.length || byMethod.has(r.operation.method)) continue;
      const raw: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = r.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith('{')) {
          if (part === '') ok = false;
          else raw[seg.slice(1, -1)] = part;
        } else ok = seg === part;
      }
      if (ok) byMethod.set(r.operation.method, { operation: r.operation, raw });
    }
    return { byMethod };
  };
}

const ALLOW_ORDER: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/** If-Match with exactly one strong entity tag holding a version: `"3"`. */
export function parseIfMatch(header: string | undefined): { ok: true; version: number } | { ok: false; missing: boolean } {
  if (header === undefined || header.trim() === '') return { ok: false, missing: true };
  const m = /^\s*"([1-9][0-9]{0,14})"\s*$/.exec(header);
  return m ? { ok: true, version: Number(m[1]) } : { ok: false, missing: false };
}

function problem(init: ProblemInit, headers: Record<string, string> = {}): ProblemException {
  return new ProblemException(init, headers);
}

/** Reads the body up to the limit; 413 past it (the connection is then closed, its rest unread). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    return Promise.reject(problem({ status: 413, detail: `The request body must be at most ${MAX_BODY_BYTES} bytes.` }, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, value?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        finish(problem({ status: 413, detail: `The request body must be at most ${MAX_BODY_BYTES} bytes.` }, { Connection: 'close' }));
      } else chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks));
    const onError = (e: Error) => finish(e);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON body (`{}` when there is none), or a 400/413/415 problem. */
async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req);
  if (raw.length === 0) return {};
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const [mime, ...paramsList] = type.split(';').map((s) => s.trim());
  const charset = paramsList
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!(mime === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mime ?? '')) || (charset && charset !== 'utf-8')) {
    throw problem({
      status: 415,
      detail: 'Send the request body as JSON: Content-Type: application/json (UTF-8).',
      errors: [{ detail: 'Expected application/json', header: 'Content-Type' }],
    });
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw problem({ status: 400, slug: 'malformed-json', detail: 'The request body is not valid UTF-8.' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw problem({ status: 400, slug: 'malformed-json', detail: `The request body is not valid JSON: ${(e as Error).message.slice(0, 200)}` });
  }
}

/** Query string → an object for the operation's schema: integers converted, unknown or repeated names refused. */
function queryObject(url: URL, operation: Operation): Record<string, unknown> {
  const props = queryParameterSchemas(operation);
  const out: Record<string, unknown> = {};
  const errors: { detail: string; parameter: string }[] = [];
  for (const [name, value] of url.searchParams) {
    const schema = props[name];
    if (!schema) errors.push({ detail: `Unknown query parameter ${JSON.stringify(name.slice(0, 50))}`, parameter: name.slice(0, 50) });
    else if (name in out) errors.push({ detail: `${name} may be given once`, parameter: name });
    else out[name] = schema.type === 'integer' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  }
  if (errors.length) throw problem({ status: 400, slug: 'bad-query', detail: errors[0]!.detail, errors });
  return out;
}

async function parseWith<T extends z.ZodMiniType>(schema: T, value: unknown, where: 'body' | 'query' | 'path'): Promise<z.output<T>> {
  const r = await schema.safeParseAsync(value);
  if (r.success) return r.data;
  if (where === 'path') throw problem({ status: 404, detail: 'There is no resource at this address (the id is not valid).', reason: 'NOT_FOUND' });
  const errors = issuesToErrors(r.error.issues, where);
  throw problem({ status: 422, slug: 'validation', title: 'Validation failed', detail: errors[0]?.detail ?? 'The request is not valid.', errors });
}

/** The token's owner as the services know an acting admin (checked again here: fail closed). */
async function actorOf(app: AppServices, principal: ApiPrincipal): Promise<SessionUser> {
  const u = await getUserDetail(app.em(), principal.userId);
  if (!u || u.role !== 'admin' || u.status !== 'active') {
    throw problem(
      { status: 401, detail: 'The API token belongs to someone who is no longer an active administrator.' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    );
  }
  // As adminProcedure: an admin who must change their password acts nowhere until they have.
  if (u.mustChangePassword) {
    throw problem({
      status: 403,
      slug: 'password-change-required',
      reason: 'PASSWORD_CHANGE_REQUIRED',
      detail: "The token's owner must change their password (log in to Admit) before the token can be used again.",
    });
  }
  return { id: u.id, email: u.email, firstName: u.firstName, lastName: u.lastName, role: u.role, status: u.status, mustChangePassword: u.mustChangePassword };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (status === 204) {
    res.writeHead(204, { ...headers, 'Cache-Control': 'no-store' }).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

export function createApiHandler(app: AppServices) {
  const match = compile(OPERATIONS);
  let documentJson: string | undefined;

  async function run(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const pathname = url.pathname;
    if (pathname === `${API_PREFIX}/openapi.json`) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw problem({ status: 405, detail: 'Use GET.' }, { Allow: 'GET, HEAD' });
      documentJson ??= JSON.stringify(openApiDocument());
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(documentJson)),
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : documentJson);
      return;
    }
    if (!pathname.startsWith(`${API_PREFIX}/`)) throw problem({ status: 404, detail: `There is nothing at this address. The API is under ${API_PREFIX}.` });

    const { byMethod } = match(pathname.slice(API_PREFIX.length));
    if (byMethod.size === 0) throw problem({ status: 404, detail: 'There is no API operation at this address.' });
    const method = (req.method ?? '').toLowerCase() as HttpMethod;
    const found = byMethod.get(method);
    if (!found) {
      const allow = ALLOW_ORDER.filter((m) => byMethod.has(m))
        .map((m) => m.toUpperCase())
        .join(', ');
      throw problem({ status: 405, detail: `Use ${allow} at this address.` }, { Allow: allow });
    }
    const { operation, raw } = found;

    // Who: the token (401, 429), then its scope (403).
    const ip = clientIp(req, app.config.trustProxy);
    const auth = await authenticateApiRequest(app, req.headers.authorization, ip);
    if (!auth.ok) {
      const headers: Record<string, string> = {};
      if (auth.status === 401)
        headers['WWW-Authenticate'] = req.headers.authorization ? 'Bearer realm="Admit API", error="invalid_token"' : 'Bearer realm="Admit API"';
      if (auth.retryAfterSeconds !== undefined) headers['Retry-After'] = String(auth.retryAfterSeconds);
      throw problem({ status: auth.status, title: auth.title, detail: auth.detail, reason: auth.status === 429 ? 'RATE_LIMITED' : undefined }, headers);
    }
    const principal = auth.principal;
    if (!hasScope(principal, operation.scope)) {
      throw problem(
        {
          status: 403,
          slug: 'insufficient-scope',
          detail: `This operation needs a token with the ${operation.scope} scope.`,
          details: { requiredScope: operation.scope },
        },
        { 'WWW-Authenticate': `Bearer realm="Admit API", error="insufficient_scope", scope="${operation.scope}"` },
      );
    }

    // What: If-Match, path, query and body, each checked by its schema.
    let expectedVersion = 0;
    if (operation.ifMatch) {
      const ifMatch = parseIfMatch(req.headers['if-match']);
      if (!ifMatch.ok && ifMatch.missing) {
        throw problem({
          status: 428,
          slug: 'if-match-required',
          detail: `Send If-Match with the ETag of ${versionedResource(operation).noun} as you last read it (${versionedResource(operation).read}), so a change made meanwhile is not overwritten.`,
          errors: [{ detail: 'If-Match is required', header: 'If-Match' }],
        });
      }
      if (!ifMatch.ok) {
        throw problem({
          status: 400,
          slug: 'malformed-if-match',
          detail: 'If-Match must be exactly one ETag as the API sent it, e.g. "3" (with the quotes); * and lists are not accepted.',
          errors: [{ detail: 'Malformed If-Match', header: 'If-Match' }],
        });
      }
      expectedVersion = ifMatch.version;
    }
    const decoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      try {
        decoded[k] = decodeURIComponent(v);
      } catch {
        throw problem({ status: 404, detail: 'There is no resource at this address (the id is not valid).', reason: 'NOT_FOUND' });
      }
    }
    const params = operation.params ? await parseWith(operation.params, decoded, 'path') : {};
    const query = operation.query ? await parseWith(operation.query, queryObject(url, operation), 'query') : queryObject(url, operation);
    let body: unknown = {};
    if (method === 'get' || method === 'delete') {
      if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined) {
        throw problem({ status: 400, slug: 'unexpected-body', detail: `${method.toUpperCase()} takes no request body.` });
      }
    } else {
      body = await parseWith(operation.body ?? apiEmptyBody, await jsonBody(req), 'body');
    }

    const actor = await actorOf(app, principal);
    // Events appended while serving this request name the token (events/actor-context.ts).
    const result = await runAsApiToken(principal, () => operation.handle({ app, actor, principal, params, query, body, expectedVersion }));

    // The answer is checked against its schema, as tRPC's .output() does (a mismatch is our bug: 500).
    let out: unknown = undefined;
    if (operation.success.schema) {
      const r = operation.success.schema.safeParse(result.body);
      if (!r.success) throw new Error(`${operation.operationId}: answer does not match its schema: ${r.error.message.slice(0, 500)}`);
      out = r.data;
    }
    const headers: Record<string, string> = {};
    if (result.etag !== undefined) headers.ETag = `"${result.etag}"`;
    if (result.location) headers.Location = result.location;
    sendJson(res, operation.success.status, out, headers);
  }

  /** Answers any request under /api/v1 (and the rest of /api except the reference page). Never throws. */
  return async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = res.getHeader('X-Request-Id');
    const instance = url.pathname.slice(0, 500);
    const rid = typeof requestId === 'string' ? requestId : undefined;
    try {
      await run(req, res, url);
    } catch (e) {
      if (e instanceof ProblemException) return sendProblem(res, buildProblem(e.init, instance, rid), e.headers);
      if (e instanceof AppError) {
        const init = problemFromAppError(e);
        // A GET has no body: a field a service names (the cursor) is a query parameter.
        if (req.method === 'GET' && init.errors) init.errors = init.errors.map((x) => ({ detail: x.detail, parameter: (x.pointer ?? '').slice(1) }));
        const headers: Record<string, string> = {};
        // The current version after a stale If-Match: the user's, the organisation's, or the settings'.
        const current =
          (e.details?.user as { version?: unknown } | undefined)?.version ??
          (e.details?.organisation as { version?: unknown } | null | undefined)?.version ??
          e.details?.version;
        if (init.status === 412 && typeof current === 'number') headers.ETag = `"${current}"`;
        if (init.status === 429) headers['Retry-After'] = '60';
        return sendProblem(res, buildProblem(init, instance, rid), headers);
      }
      if (isDatabaseUnavailable(e)) {
        app.log.warn('database unavailable: answered 503', { path: instance, error: e instanceof Error ? e.message : String(e) });
        return sendProblem(res, buildProblem(problemFromAppError(databaseUnavailable(e)), instance, rid), { 'Retry-After': '5' });
      }
      app.log.error('api request failed', { path: instance, error: e as Error, stack: (e as Error | undefined)?.stack });
      sendProblem(res, buildProblem({ status: 500, detail: 'Something went wrong on our side. Please try again.' }, instance, rid));
    }
  };
}
