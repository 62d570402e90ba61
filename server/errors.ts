import type { ErrorReason } from '../shared/errors.js';

/**
 * The wire codes a domain error may carry. They are tRPC's names (the tRPC layer maps them 1:1),
 * but services and repositories never import tRPC: they throw AppError and trpc/init.ts converts it.
 */
export type AppErrorCode = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_MANY_REQUESTS' | 'SERVICE_UNAVAILABLE';

export interface AppErrorExtra {
  /** Field name → message, shown next to the form field. */
  fieldErrors?: Record<string, string>;
  /** Extra facts a page may show, e.g. the current state after a conflict. */
  details?: Record<string, unknown>;
}

/** A domain error with a machine-readable reason and, optionally, field messages or details. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  readonly reason: ErrorReason;
  readonly fieldErrors: Record<string, string> | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AppErrorCode, reason: ErrorReason, message: string, extra: AppErrorExtra = {}) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.fieldErrors = extra.fieldErrors;
    this.details = extra.details;
  }
}
