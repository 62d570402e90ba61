import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../server/trpc/router';
import { backoffDelay, type Backoff } from '../../shared/backoff';
import type { AppErrorData, ErrorReason } from '../../shared/errors';

const wsUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/trpc`;

/** Reconnects (the socket's and the live subscription's): 0.5 s, 1 s, 2 s … capped at 15 s, each randomised. */
export const RECONNECT_BACKOFF: Backoff = { baseMs: 500, maxMs: 15_000 };

const wsClient = createWSClient({
  url: wsUrl,
  retryDelayMs: (attempt) => backoffDelay(attempt, RECONNECT_BACKOFF),
  // Connect only while a subscription needs it; pages without live data open no socket.
  lazy: { enabled: true, closeMs: 5_000 },
});

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: wsLink({ client: wsClient }),
      false: httpBatchLink({ url: '/trpc', maxURLLength: 4000 }),
    }),
  ],
});

function data(err: unknown): AppErrorData | undefined {
  return err instanceof TRPCClientError ? (err.data as AppErrorData | undefined) : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
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
