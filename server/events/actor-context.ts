import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiScope } from '../../shared/api-scopes.js';

/** Who is calling through the REST API: an admin's token (server/api-tokens/). */
export interface ApiPrincipal {
  tokenId: string;
  tokenName: string;
  /** The admin who owns the token; changes are theirs (actor_id). */
  userId: string;
  scopes: ApiScope[];
}

/*
 * The token a request runs under travels with the async call chain (AsyncLocalStorage), so every
 * event a service appends while serving it names the token (events/append.ts) without each service
 * having to pass it along. The REST edge wraps the whole request in runAsApiToken.
 */
const storage = new AsyncLocalStorage<ApiPrincipal>();

/** Runs fn (and everything it awaits) as this token: events appended meanwhile record it. */
export function runAsApiToken<T>(principal: ApiPrincipal, fn: () => T): T {
  return storage.run(principal, fn);
}

/** The token the current call runs under, if any. */
export function currentApiToken(): ApiPrincipal | undefined {
  return storage.getStore();
}
