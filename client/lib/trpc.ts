import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, TRPCClientError } from '@trpc/client';
import { createSignal } from 'solid-js';
import type { AppRouter } from '../../server/trpc/router';
import type { AppErrorData, ErrorReason } from '../../shared/errors';

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting';
const [connectionState, setConnectionState] = createSignal<ConnectionState>('idle');
/** The WebSocket's state, for the live / reconnecting indicator. */
export { connectionState };

const wsUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/trpc`;

/** Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped at 15 s, each randomised. */
export function reconnectDelay(attempt: number): number {
  const cap = Math.min(15_000, 500 * 2 ** attempt);
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

const wsClient = createWSClient({
  url: wsUrl,
  retryDelayMs: reconnectDelay,
  // Connect only while a subscription needs it; pages without live data open no socket.
  lazy: { enabled: true, closeMs: 5_000 },
  onOpen: () => setConnectionState('live'),
  onClose: () => setConnectionState((s) => (s === 'idle' ? 'idle' : 'reconnecting')),
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

/** Marks the socket as wanted (a subscription started) or not, for the indicator. */
export function setLiveWanted(wanted: boolean) {
  setConnectionState((s) => (wanted ? (s === 'live' ? 'live' : 'connecting') : 'idle'));
}

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
