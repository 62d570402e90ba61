import type { ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { AppError } from '../errors.js';

/*
 * RFC 9457 problem details, the one error shape of the REST API: `type` (a URI naming the kind of
 * problem), `title` (the same for every occurrence of that type), `status`, `detail` (this
 * occurrence, in words a person can act on) and `instance` (this request). Extensions: `reason`
 * (the machine-readable AppError reason the app's pages use too), `errors` (one entry per refused
 * field: a JSON pointer into the body, or the query parameter or header), `details` (facts such as
 * the current state after a conflict) and `requestId` (the X-Request-Id the server log carries).
 */

export const problemErrorSchema = z.object({
  detail: z.string(),
  /** A JSON pointer into the request body ("/firstName"), for a body field. */
  pointer: z.optional(z.string()),
  /** The query or path parameter, for a parameter. */
  parameter: z.optional(z.string()),
  /** The request header, for a header. */
  header: z.optional(z.string()),
});
export type ProblemError = z.infer<typeof problemErrorSchema>;

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.string(),
  reason: z.optional(z.string()),
  errors: z.optional(z.array(problemErrorSchema)),
  details: z.optional(z.record(z.string(), z.unknown())),
  requestId: z.optional(z.string()),
});
export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Where the kinds of problem are described (the reference page's section); `type` URIs are this plus '#' and a slug. */
export const PROBLEM_TYPE_BASE = '/api/docs#section/Errors';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** A problem's type URI: the kind's slug (lower-case, hyphens) under PROBLEM_TYPE_BASE. */
export function problemType(slug: string): string {
  return `${PROBLEM_TYPE_BASE}-${slug}`;
}

export interface ProblemInit {
  status: number;
  /** The kind of problem: 'validation', 'user-changed', …; defaults to the status's name. */
  slug?: string;
  title?: string;
  detail: string;
  reason?: string;
  errors?: ProblemError[];
  details?: Record<string, unknown>;
}

/** A problem as an exception, so a handler can stop anywhere with the right answer. */
export class ProblemException extends Error {
  readonly init: ProblemInit;
  readonly headers: Record<string, string>;
  constructor(init: ProblemInit, headers: Record<string, string> = {}) {
    super(init.detail);
    this.init = init;
    this.headers = headers;
  }
}

export function buildProblem(init: ProblemInit, instance: string, requestId: string | undefined): Problem {
  const title = init.title ?? statusTitle(init.status);
  const slug = init.slug ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const p: Problem = { type: problemType(slug), title, status: init.status, detail: init.detail, instance };
  if (init.reason) p.reason = init.reason;
  if (init.errors?.length) p.errors = init.errors;
  if (init.details) p.details = init.details;
  if (requestId) p.requestId = requestId;
  return p;
}

/** Writes a problem answer (never throws; a half-sent answer is cut instead). */
export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  res.writeHead(problem.status, {
    ...headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

/** The If-Match precondition failing: the version named is not the current one. */
const STALE_VERSION_REASONS = new Set(['USER_CHANGED', 'ORGANISATION_CHANGED', 'SETTINGS_CHANGED']);

/** The HTTP status of a domain error. USER_CHANGED (and the same for organisations and settings) is the If-Match precondition failing (412); a refused cursor is a malformed request (400). */
export function statusOfAppError(e: AppError): number {
  if (STALE_VERSION_REASONS.has(e.reason)) return 412;
  if (e.reason === 'INVALID_CURSOR') return 400;
  switch (e.code) {
    case 'BAD_REQUEST':
      // Well-formed but refused content (a field's value): 422, as schema failures.
      return 422;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'TOO_MANY_REQUESTS':
      return 429;
    case 'SERVICE_UNAVAILABLE':
      return 503;
  }
}

/** A domain error as a problem: the reason names the type, field errors become `errors` with body pointers. */
export function problemFromAppError(e: AppError): ProblemInit {
  const status = statusOfAppError(e);
  const init: ProblemInit = {
    status,
    slug: e.reason.toLowerCase().replace(/_/g, '-'),
    detail: e.message,
    reason: e.reason,
  };
  if (e.fieldErrors) init.errors = Object.entries(e.fieldErrors).map(([field, detail]) => fieldError(field, detail));
  if (e.details) init.details = e.details;
  return init;
}

/** 'a.b' → { pointer: '/a/b' }, as RFC 6901 escapes it. */
export function fieldError(field: string, detail: string): ProblemError {
  if (field === '_' || field === '') return { detail, pointer: '' };
  return {
    detail,
    pointer:
      '/' +
      field
        .split('.')
        .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/'),
  };
}

type Issue = { readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined };

/** Schema issues as problem errors, the first message per field (as the app's forms show them). */
export function issuesToErrors(issues: readonly Issue[], where: 'body' | 'query' | 'path'): ProblemError[] {
  const seen = new Set<string>();
  const out: ProblemError[] = [];
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
    const key = path.join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    if (where === 'body') out.push(fieldError(key, issue.message));
    else out.push({ detail: issue.message, parameter: path[0] ?? '' });
  }
  return out;
}
