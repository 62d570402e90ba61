import type { EntityManager } from '@mikro-orm/postgresql';
import type { InviteState, InviteStateName } from '../../shared/schemas/invites.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

interface InviteRow {
  id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  opened_at: Date | null;
  created_by_id: string | null;
  sender_first_name: string | null;
  sender_last_name: string | null;
  outbox_status: 'pending' | 'sent' | 'failed' | null;
  outbox_attempts: number | null;
  outbox_last_error: string | null;
  outbox_sent_at: Date | null;
  outbox_message_id: string | null;
}

/** What an invite is now: accepted and revoked are final; otherwise time decides. */
export function inviteStateName(r: { used_at: Date | null; revoked_at: Date | null; expires_at: Date }, now: Date): InviteStateName {
  if (r.used_at) return 'accepted';
  if (r.revoked_at) return 'revoked';
  return new Date(r.expires_at).getTime() <= now.getTime() ? 'expired' : 'pending';
}

function toState(r: InviteRow, now: Date): InviteState {
  return {
    id: r.id,
    state: inviteStateName(r, now),
    sentAt: iso(r.created_at)!,
    sentBy: r.created_by_id
      ? { id: r.created_by_id, name: r.sender_first_name !== null ? `${r.sender_first_name} ${r.sender_last_name}` : 'A deleted user' }
      : null,
    expiresAt: iso(r.expires_at)!,
    openedAt: iso(r.opened_at),
    acceptedAt: iso(r.used_at),
    revokedAt: iso(r.revoked_at),
    delivery: r.outbox_status
      ? {
          status: r.outbox_status,
          attempts: r.outbox_attempts ?? 0,
          lastError: r.outbox_last_error,
          sentAt: iso(r.outbox_sent_at),
          // The built-in mailbox names its messages mailbox-<id> (mail/transports.ts).
          ...(r.outbox_status === 'sent' ? { via: r.outbox_message_id?.startsWith('mailbox-') ? ('mailbox' as const) : ('smtp' as const) } : {}),
        }
      : null,
  };
}

const SELECT_INVITES = `
  select t.id, t.created_at, t.expires_at, t.used_at, t.revoked_at, t.opened_at, t.created_by_id,
         s.first_name as sender_first_name, s.last_name as sender_last_name,
         o.status as outbox_status, o.attempts as outbox_attempts, o.last_error as outbox_last_error, o.sent_at as outbox_sent_at, o.message_id as outbox_message_id
    from auth_token t
    left join app_user s on s.id = t.created_by_id
    left join email_outbox o on o.id = t.outbox_id`;

/** Every invite of a user, newest first (index auth_token_user_idx). */
export async function invitesOfUser(em: EntityManager, userId: string, now: Date): Promise<InviteState[]> {
  const rows = await em.execute<InviteRow[]>(`${SELECT_INVITES} where t.user_id = ? and t.purpose = 'invite' order by t.created_at desc, t.id desc limit 50`, [
    userId,
  ]);
  return rows.map((r) => toState(r, now));
}

export async function inviteById(em: EntityManager, id: string, now: Date): Promise<InviteState | null> {
  const rows = await em.execute<InviteRow[]>(`${SELECT_INVITES} where t.id = ?`, [id]);
  return rows[0] ? toState(rows[0], now) : null;
}

/** The token row for a hash (any state), with the invited user's details. */
export async function inviteByHash(em: EntityManager, tokenHash: string) {
  const rows = await em.execute<
    {
      id: string;
      user_id: string;
      expires_at: Date;
      used_at: Date | null;
      revoked_at: Date | null;
      opened_at: Date | null;
      email: string;
      first_name: string;
      last_name: string;
      status: string;
      has_password: boolean;
    }[]
  >(
    `select t.id, t.user_id, t.expires_at, t.used_at, t.revoked_at, t.opened_at,
            u.email, u.first_name, u.last_name, u.status, u.password_hash is not null as has_password
       from auth_token t join app_user u on u.id = t.user_id
      where t.token_hash = ? and t.purpose = 'invite'`,
    [tokenHash],
  );
  return rows[0] ?? null;
}
