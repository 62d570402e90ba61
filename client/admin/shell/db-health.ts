/**
 * Whether the server can reach its database, from its /readyz answer: the live indicator shows
 * "reconnecting" while it cannot, even though the socket itself is still open (events cannot flow
 * meanwhile). Other reasons for 503 (migrations pending, mail worker stale, shutting down) are
 * not about the live stream and leave the indicator alone; a failed fetch is the socket's business.
 */
export function databaseReachable(status: number, body: unknown): boolean {
  if (status === 200) return true;
  const checks = (body as { checks?: Record<string, { ok?: boolean } | undefined> } | null)?.checks;
  if (!checks) return true;
  return checks.database?.ok !== false && checks.listener?.ok !== false && checks.embeddedDatabase?.ok !== false;
}

/** How often the admin shell asks /readyz while the live connection is open. */
export const DB_HEALTH_POLL_MS = 5_000;

/** Asks /readyz once; true when the database is reachable (or the answer says nothing about it). */
export async function pollDatabaseHealth(fetchFn: typeof fetch = fetch, base = ''): Promise<boolean> {
  try {
    const res = await fetchFn(`${base}/readyz`, { cache: 'no-store' });
    const body: unknown = await res.json().catch(() => null);
    return databaseReachable(res.status, body);
  } catch {
    return true;
  }
}
