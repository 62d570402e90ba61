import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.js';
import type { AppErrorData, ErrorReason } from '../../shared/errors.js';

/** A domain error with a machine-readable reason and, optionally, field messages or details. */
export class AppError extends TRPCError {
  readonly reason: ErrorReason;
  readonly fieldErrors: Record<string, string> | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    code: TRPCError['code'],
    reason: ErrorReason,
    message: string,
    extra: { fieldErrors?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super({ code, message });
    this.reason = reason;
    this.fieldErrors = extra.fieldErrors;
    this.details = extra.details;
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
    } else if (error instanceof AppError) {
      data.reason = error.reason;
      if (error.fieldErrors) data.fieldErrors = error.fieldErrors;
      if (error.details) data.details = error.details;
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
export const publicBase = t.procedure;
export const createCallerFactory = t.createCallerFactory;
