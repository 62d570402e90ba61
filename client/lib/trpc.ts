import { createTRPCClient, httpBatchLink, splitLink, TRPCClientError, type OperationLink, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../../server/trpc/router';
import type { Backoff } from '../../shared/backoff';
import type { AppErrorData, ErrorReason } from '../../shared/errors';
import { reauthLink } from './reauth';

/** Reconnects (the socket's and the live subscription's): 0.5 s, 1 s, 2 s … capped at 15 s, each randomised. */
export const RECONNECT_BACKOFF: Backoff = { baseMs: 500, maxMs: 15_000 };

/**
 * Subscriptions go over a WebSocket whose client code (./trpc-ws) is loaded on the first
 * subscription, so the pages a visitor lands on do not carry it.
 */
function lazyWsLink(): TRPCLink<AppRouter> {
  return (runtime) => {
    let link: Promise<OperationLink<AppRouter>> | null = null;
    const load = () => (link ??= import('./trpc-ws').then((m) => m.createWsLink(RECONNECT_BACKOFF)(runtime)));
    return ({ op, next }) =>
      observable((observer) => {
        let unsubscribe: (() => void) | null = null;
        let closed = false;
        load().then(
          (opLink) => {
            if (closed) return;
            const subscription = opLink({ op, next }).subscribe(observer);
            unsubscribe = () => subscription.unsubscribe();
          },
          (cause: unknown) => observer.error(TRPCClientError.from(cause instanceof Error ? cause : new Error(String(cause)))),
        );
        return () => {
          closed = true;
          unsubscribe?.();
        };
      });
  };
}

export const trpc = createTRPCClient<AppRouter>({
  links: [
    // A sensitive admin change refused with REAUTH_REQUIRED asks for the password and is sent again (./reauth).
    reauthLink(async (password) => {
      try {
        await trpc.auth.confirmPassword.mutate({ password });
        return null;
      } catch (err) {
        const field = fieldErrors(err).password;
        return field ? { field } : { form: errorMessage(err) };
      }
    }),
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: lazyWsLink(),
      false: httpBatchLink({ url: '/trpc', maxURLLength: 4000 }),
    }),
  ],
});

function data(err: unknown): AppErrorData | undefined {
  return err instanceof TRPCClientError ? (err.data as AppErrorData | undefined) : undefined;
}

/** An error whose message is written for the person using the page (errorMessage shows it as it is). */
export class UserFacingError extends Error {}

export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError || err instanceof UserFacingError) return err.message;
  if (err instanceof Error && /fetch|network/i.test(err.message)) return 'Cannot reach the server. Check your connection and try again.';
  return 'Something went wrong. Please try again.';
}

export function fieldErrors(err: unknown): Record<string, string> {
  return data(err)?.fieldErrors ?? {};
}

export function errorReason(err: unknown): ErrorReason | undefined {
  return data(err)?.reason;
}

export function errorDetails(err: unknown): Record<string, unknown> | undefined {
  return data(err)?.details;
}

export function errorCode(err: unknown): string | undefined {
  return data(err)?.code;
}
