import type { EntityManager } from '@mikro-orm/postgresql';
import { queueEmail } from './outbox.js';

export type NewCredentialKind = 'api_token' | 'webhook';

const KINDS: Record<NewCredentialKind, { label: string; path: string }> = {
  api_token: { label: 'API token', path: '/admin/settings/api-tokens' },
  webhook: { label: 'webhook endpoint', path: '/admin/settings/webhooks' },
};

interface AdminRow {
  id: string;
  email: string;
  first_name: string;
}

/**
 * Queues one "new API token / webhook" email to every active admin (the creator too: a token made
 * from a stolen session is then noticed by its owner), in the caller's transaction, so the emails go
 * only if the credential is really created. Its own SQL: mail/ must not import users/ (folder cycle).
 */
export async function notifyAdminsOfNewCredential(em: EntityManager, input: { kind: NewCredentialKind; name: string; actorId: string }): Promise<number> {
  const kind = KINDS[input.kind];
  const actors = await em.execute<{ email: string; name: string }[]>(
    `select email, nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '') as name from app_user where id = ?`,
    [input.actorId],
  );
  const actor = actors[0];
  const admins = await em.execute<AdminRow[]>(`select id, email, first_name from app_user where role = 'admin' and status = 'active' order by created_at, id`);
  for (const admin of admins) {
    await queueEmail(
      em,
      'admin-new-credential',
      admin.email,
      {
        adminFirstName: admin.first_name,
        kindLabel: kind.label,
        credentialName: input.name,
        actorName: actor?.name ?? actor?.email ?? 'An administrator',
        actorEmail: actor?.email ?? '',
        managePath: kind.path,
      },
      { userId: admin.id },
    );
  }
  return admins.length;
}
