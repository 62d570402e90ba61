import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { AppRouter } from '../../server/trpc/router';
import type { AppErrorData } from '../../shared/errors';
import type { ConfirmPassword } from './reauth-dialog';

export type { ConfirmPassword };

/*
 * Re-authentication ("sudo mode"). Sensitive admin changes (creating an API token or a webhook,
 * changing settings) are refused with reason REAUTH_REQUIRED when this session last proved the
 * password more than 10 minutes ago. The tRPC link below catches that answer on any mutation, asks
 * for the password in a small dialog (ReauthDialog, loaded on first use), calls
 * auth.confirmPassword, and sends the mutation once more: pages need no code of their own for it.
 */

let pending: Promise<boolean> | null = null;
// Given by client/lib/trpc.ts when it builds the link (this file must not import the client: it is part of it).
let confirmPassword: ConfirmPassword | null = null;

/** Opens the password dialog (one at a time; concurrent callers share it). Resolves true once the password was confirmed, false if cancelled. */
export function requestReauth(): Promise<boolean> {
  const confirm = confirmPassword;
  if (!confirm) return Promise.resolve(false);
  pending ??= import('./reauth-dialog')
    .then((m) => m.promptForPassword(confirm))
    .finally(() => {
      pending = null;
    });
  return pending;
}

export function isReauthRequired(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as AppErrorData | undefined)?.reason === 'REAUTH_REQUIRED';
}

/** Runs fn; if the server asks for the password again, asks for it and runs fn once more. For calls that do not go through the link. */
export async function withReauth<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isReauthRequired(e) || !(await requestReauth())) throw e;
    return fn();
  }
}

/** The link (client/lib/trpc.ts): a mutation refused with REAUTH_REQUIRED is retried once after the password is confirmed. */
export function reauthLink(confirm: ConfirmPassword): TRPCLink<AppRouter> {
  confirmPassword = confirm;
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let sub: Unsubscribable | null = null;
        let closed = false;
        const attempt = (retried: boolean) => {
          sub = next(op).subscribe({
            next: (value) => observer.next(value),
            error: (err) => {
              if (retried || op.type !== 'mutation' || !isReauthRequired(err)) {
                observer.error(err);
                return;
              }
              void requestReauth().then(
                (ok) => {
                  if (closed) return;
                  if (ok) attempt(true);
                  else observer.error(err);
                },
                () => observer.error(err),
              );
            },
            complete: () => observer.complete(),
          });
        };
        attempt(false);
        return () => {
          closed = true;
          sub?.unsubscribe();
        };
      });
}
