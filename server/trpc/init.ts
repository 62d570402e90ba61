import { initTRPC, StandardSchemaV1Error, TRPCError } from '@trpc/server';
import * as z from 'zod/mini';
import type { Context } from './context.js';
import type { AppErrorData } from '../../shared/errors.js';
import { AppError } from '../errors.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/faults.js';
import { observeProcedure } from '../metrics.js';

/**
 * A domain error on its way to the client: the tRPC code decides the HTTP status, and the reason,
 * field messages and details stay readable on the error itself (server-side callers, tests) and in
 * `error.data` (the formatter below).
 */
export class AppTRPCError extends TRPCError {
  readonly reason: AppError['reason'];
  readonly fieldErrors: AppError['fieldErrors'];
  readonly details: AppError['details'];
  constructor(error: AppError) {
    super({ code: error.code, message: error.message, cause: error });
    this.reason = error.reason;
    this.fieldErrors = error.fieldErrors;
    this.details = error.details;
  }
}

type SchemaIssue = { readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined };

/**
 * An input that failed its schema: the shared schemas are zod/mini, which tRPC runs through their
 * `parse` (a `$ZodError`, classic zod's ZodError included); a Standard Schema validator would give
 * a StandardSchemaV1Error. Both carry issues with a path and a message.
 */
function schemaIssues(cause: unknown): readonly SchemaIssue[] | null {
  if (cause instanceof z.core.$ZodError) return cause.issues;
  if (cause instanceof StandardSchemaV1Error) return cause.issues;
  return null;
}

/** The first message for each field ('a.b' for nested ones, '_' for the whole input). */
function fieldErrorsOf(issues: readonly SchemaIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
    const key = path.length ? path.join('.') : '_';
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

export interface Meta {
  /** Reachable by a user who must change their password first (change-password, logout, me). */
  allowWhilePasswordChangeRequired?: boolean;
  /** Reachable by a user who must accept a new version of the terms first (me, logout, terms.current, terms.accept). */
  allowWhileTermsAcceptanceRequired?: boolean;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
      const data: AppErrorData = { code: shape.data.code, httpStatus: shape.data.httpStatus };
      if (shape.data.path) data.path = shape.data.path;
      let message = shape.message;
      // Only a refused input: a failed output validation is our bug, answered as an internal error.
      const issues = error.code === 'BAD_REQUEST' ? schemaIssues(error.cause) : null;
      if (issues) {
        data.fieldErrors = fieldErrorsOf(issues);
        message = 'Please correct the highlighted fields';
      } else if (error.cause instanceof AppError) {
        data.reason = error.cause.reason;
        if (error.cause.fieldErrors) data.fieldErrors = error.cause.fieldErrors;
        if (error.cause.details) data.details = error.cause.details;
      } else if (error.code === 'INTERNAL_SERVER_ERROR') {
        // Never leak internals (SQL, stack traces) to clients; the server log has them.
        message = 'Something went wrong on our side. Please try again.';
      }
      // No `stack` key, ever.
      return { message, code: shape.code, data };
    },
  });

export const router = t.router;
export const middleware = t.middleware;

/** Turns a domain AppError thrown anywhere below (middlewares, resolvers) into its tRPC error. */
const domainErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  // The database did not answer in time or the connection broke: 503 with a clear message and a log line (db/faults.ts).
  if (!result.ok && !(result.error instanceof AppTRPCError) && isDatabaseUnavailable(result.error.cause ?? result.error)) {
    const cause = result.error.cause ?? result.error;
    ctx.app.log.warn('database unavailable: answered 503', { path, error: cause instanceof Error ? cause.message : String(cause) });
    throw new AppTRPCError(databaseUnavailable(cause));
  }
  if (!result.ok && result.error.cause instanceof AppError && !(result.error instanceof AppTRPCError)) {
    throw new AppTRPCError(result.error.cause);
  }
  return result;
});

/** Metrics: every call's duration by procedure, transport and outcome (ok or the error code). */
const timed = t.middleware(async ({ ctx, path, type, next }) => {
  const t0 = performance.now();
  const result = await next();
  observeProcedure(path, type, ctx.transport, result.ok ? 'ok' : result.error.code, (performance.now() - t0) / 1000);
  return result;
});

export const publicBase = t.procedure.use(timed).use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
