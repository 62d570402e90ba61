import { createWSClient, wsLink, type TRPCLink } from '@trpc/client';
import type { AppRouter } from '../../server/trpc/router';
import { backoffDelay, type Backoff } from '../../shared/backoff';

// The WebSocket half of the tRPC client, loaded on the first subscription (client/lib/trpc.ts):
// pages without live data never download it.

const wsUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/trpc`;

export function createWsLink(backoff: Backoff): TRPCLink<AppRouter> {
  const wsClient = createWSClient({
    url: wsUrl,
    retryDelayMs: (attempt) => backoffDelay(attempt, backoff),
    // Connect only while a subscription needs it; pages without live data open no socket.
    lazy: { enabled: true, closeMs: 5_000 },
  });
  return wsLink({ client: wsClient });
}
