import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.js';
import type { AppErrorData } from '../../shared/errors.js';
import { AppError } from '../errors.js';
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

function zodFieldErrors(err: ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of err.issues) {
    const key = issue.path.length ? issue.path.join('.') : '_';
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

export interface Meta {
  /** Reachable by a user who must change their password first (change-password, logout, me). */
  allowWhilePasswordChangeRequired?: boolean;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  errorFormatter({ shape, error }) {
    const data: AppErrorData = { code: shape.data.code, httpStatus: shape.data.httpStatus };
    if (shape.data.path) data.path = shape.data.path;
    let message = shape.message;
    if (error.cause instanceof ZodError) {
      data.fieldErrors = zodFieldErrors(error.cause);
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
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
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
