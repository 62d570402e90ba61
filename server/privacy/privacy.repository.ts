import type { EntityManager } from '@mikro-orm/postgresql';
import { FORGOTTEN_FIRST_NAME, FORGOTTEN_LAST_NAME } from '../../shared/schemas/audit.js';

// The statements of Forget (erasure) and Export (access request). They cross tables on purpose:
// a person's data is spread over events, mail, sessions and terms evidence, and erasing it is one
// transaction. Every LIKE pattern escapes its wildcards.

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The address as it appears inside JSON text (a quoted local part escapes " and \). */
const jsonForm = (s: string) => JSON.stringify(s).slice(1, -1);

const count = (rows: unknown[] | { affectedRows?: number }) => (Array.isArray(rows) ? rows.length : (rows.affectedRows ?? 0));

export async function accountExists(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await em.execute<{ one: number }[]>(`select 1 as one from app_user where id = ?`, [userId]);
  return rows.length > 0;
}

export async function anyEventAbout(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await em.execute<{ one: number }[]>(`select 1 as one from domain_event where user_id = ? or actor_id = ? limit 1`, [userId, userId]);
  return rows.length > 0;
}

export async function wasForgotten(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await em.execute<{ one: number }[]>(`select 1 as one from domain_event where user_id = ? and type = 'user.forgotten' limit 1`, [userId]);
  return rows.length > 0;
}

/**
 * Every address the person was known by: the account's, the ones their events' snapshots carried,
 * the old and new address of each email change, and the recipients of emails queued for them
 * (email_outbox.user_id is the recipient). Lower-cased; the placeholder of an earlier Forget excluded.
 */
export async function addressesOf(em: EntityManager, userId: string, placeholder: string): Promise<string[]> {
  const rows = await em.execute<{ a: string }[]>(
    `select distinct lower(x) as a from (
       select email as x from app_user where id = ?
       union all select data->'user'->>'email' from domain_event where user_id = ? and data->'user' is not null
       union all select data->'changes'->'email'->>'from' from domain_event where user_id = ? and type = 'user.updated'
       union all select data->'changes'->'email'->>'to' from domain_event where user_id = ? and type = 'user.updated'
       union all select to_address from email_outbox where user_id = ?
     ) s where x is not null and x <> '' and lower(x) <> lower(?)`,
    [userId, userId, userId, userId, userId, placeholder],
  );
  return rows.map((r) => r.a);
}

/** The fields of a user snapshot and of an update's changes that hold personal data. */
const PERSONAL_CHANGE_KEYS = ['email', 'firstName', 'lastName', 'answers', 'registrationAnswers', 'rejectionReason'];

/**
 * Events about the person: the snapshot's name and address become the placeholders; a change of a
 * personal field keeps that it changed, not the values; IP and user agent keys are dropped.
 */
export async function redactEventSnapshots(tx: EntityManager, userId: string, placeholder: string): Promise<number> {
  const a = await tx.execute(
    `update domain_event set data = jsonb_set(data, '{user}', (data->'user') || jsonb_build_object('email', ?::text, 'firstName', ?::text, 'lastName', ?::text))
      where user_id = ? and jsonb_typeof(data->'user') = 'object'
        and ((data->'user'->>'email') is distinct from ? or (data->'user'->>'firstName') is distinct from ? or (data->'user'->>'lastName') is distinct from ?)
      returning id`,
    [placeholder, FORGOTTEN_FIRST_NAME, FORGOTTEN_LAST_NAME, userId, placeholder, FORGOTTEN_FIRST_NAME, FORGOTTEN_LAST_NAME],
  );
  const redactedChange = `'{"from":"(erased)","to":"(erased)"}'::jsonb`;
  const keys = PERSONAL_CHANGE_KEYS.map((k) => `'${k}'`).join(', ');
  const b = await tx.execute(
    `update domain_event set data = jsonb_set(data, '{changes}', (data->'changes') || coalesce((
        select jsonb_object_agg(k, ${redactedChange}) from jsonb_object_keys(data->'changes') k where k in (${keys})), '{}'::jsonb))
      where user_id = ? and jsonb_typeof(data->'changes') = 'object'
        and exists (select 1 from jsonb_each(data->'changes') c where c.key in (${keys}) and c.value <> ${redactedChange})
      returning id`,
    [userId],
  );
  const c = await tx.execute(
    `update domain_event set data = data - 'ip' - 'userAgent' - 'user_agent'
      where (user_id = ? or actor_id = ?) and (jsonb_exists(data, 'ip') or jsonb_exists(data, 'userAgent') or jsonb_exists(data, 'user_agent'))
      returning id`,
    [userId, userId],
  );
  return new Set([...a, ...b, ...c].map((r) => (r as { id: string | number }).id.toString())).size;
}

/** Any event that still names the address anywhere in its data (emails sent to it, suppressions, revealed links): the address becomes the placeholder. */
export async function replaceAddressInEvents(tx: EntityManager, address: string, placeholder: string): Promise<number> {
  const rows = await tx.execute(
    `update domain_event set data = regexp_replace(data::text, ?, ?, 'gi')::jsonb where data::text ilike ? escape '\\' returning id`,
    [regexEscape(jsonForm(address)), jsonForm(placeholder), `%${likeEscape(jsonForm(address))}%`],
  );
  return count(rows);
}

/** The IP addresses the person was seen from (sessions, terms evidence), read before those are erased. */
export async function ipAddressesOf(em: EntityManager, userId: string): Promise<string[]> {
  const rows = await em.execute<{ ip: string }[]>(
    `select ip from user_session where user_id = ? and ip <> '' union select ip from terms_acceptance where user_id = ? and ip <> ''`,
    [userId, userId],
  );
  return rows.map((r) => r.ip);
}

/** Rate-limit windows keyed by one of the person's IP addresses ("<limiter>:<ip>"): short-lived, but personal data while they last. */
export async function removeIpKeys(tx: EntityManager, ip: string): Promise<number> {
  return count(await tx.execute(`delete from rate_limit where key like ? escape '\\' returning key`, [`%:${likeEscape(ip)}`]));
}

/** Terms evidence keeps who accepted which version when; the IP address and user agent go. */
export async function redactTermsEvidence(tx: EntityManager, userId: string): Promise<number> {
  return count(
    await tx.execute(`update terms_acceptance set ip = '', user_agent = '' where user_id = ? and (ip <> '' or user_agent <> '') returning id`, [userId]),
  );
}

const NOT_SENT = 'Not sent: the recipient was forgotten (personal data erased)';

/**
 * Emails to the person (by recipient id or address): the address becomes the placeholder, the
 * variables (names, links) and subject go, and one still waiting is not sent. Emails to others
 * that mention the address (an admin's "new registration" note) lose their variables and subject.
 */
export async function redactOutbox(tx: EntityManager, userId: string, addresses: string[], placeholder: string): Promise<number> {
  const ids = new Set<string>();
  const set = `variables = '{}'::jsonb, subject = null,
      last_error = case when status = 'pending' then '${NOT_SENT}' else null end,
      status = case when status = 'pending' then 'failed' else status end, locked_until = null, updated_at = now()`;
  const own = await tx.execute<{ id: string }[]>(`update email_outbox set to_address = ?, ${set} where user_id = ? returning id`, [placeholder, userId]);
  own.forEach((r) => ids.add(r.id));
  for (const address of addresses) {
    const p = `%${likeEscape(address)}%`;
    const mine = await tx.execute<{ id: string }[]>(`update email_outbox set to_address = ?, ${set} where lower(to_address) = ? returning id`, [
      placeholder,
      address,
    ]);
    mine.forEach((r) => ids.add(r.id));
    const mentions = await tx.execute<{ id: string }[]>(
      `update email_outbox set ${set}
        where variables::text ilike ? escape '\\' or subject ilike ? escape '\\' or last_error ilike ? escape '\\' returning id`,
      [`%${likeEscape(jsonForm(address))}%`, p, p],
    );
    mentions.forEach((r) => ids.add(r.id));
  }
  return ids.size;
}

/** The built-in mailbox: messages to the person or mentioning their address keep only their template and time. */
export async function redactMailbox(tx: EntityManager, userId: string, addresses: string[], placeholder: string): Promise<number> {
  const ids = new Set<string>();
  const set = `subject = '(erased)', html = '', text = ''`;
  const own = await tx.execute<{ id: string }[]>(
    `update mailbox_message set to_address = ?, ${set} where outbox_id in (select id from email_outbox where user_id = ?) returning id`,
    [placeholder, userId],
  );
  own.forEach((r) => ids.add(r.id));
  for (const address of addresses) {
    const p = `%${likeEscape(address)}%`;
    const rows = await tx.execute<{ id: string }[]>(
      `update mailbox_message set to_address = case when lower(to_address) = ? then ? else to_address end, ${set}
        where lower(to_address) = ? or subject ilike ? escape '\\' or html ilike ? escape '\\' or text ilike ? escape '\\' returning id`,
      [address, placeholder, address, p, p, p],
    );
    rows.forEach((r) => ids.add(r.id));
  }
  return ids.size;
}

/** Sessions (IP address, user agent), one-time tokens, lockout state, API tokens: all go. */
export async function removeAccountTraces(tx: EntityManager, userId: string): Promise<{ sessions: number; tokens: number }> {
  const sessions = count(await tx.execute(`delete from user_session where user_id = ? returning user_id`, [userId]));
  const auth = count(await tx.execute(`delete from auth_token where user_id = ? returning id`, [userId]));
  const api = count(await tx.execute(`delete from api_token where user_id = ? returning id`, [userId]));
  await tx.execute(`delete from login_lockout where user_id = ?`, [userId]);
  return { sessions, tokens: auth + api };
}

/** Rate-limit windows and the suppression list keyed by the address. */
export async function removeAddressKeys(tx: EntityManager, address: string): Promise<number> {
  const a = count(await tx.execute(`delete from rate_limit where lower(key) like ? escape '\\' returning key`, [`%${likeEscape(address)}%`]));
  const b = count(await tx.execute(`delete from email_suppression where lower(address) = ? returning address`, [address]));
  return a + b;
}

/** The account stays as a skeleton (id, organisation, role, dates) that cannot log in. */
export async function anonymiseAccount(tx: EntityManager, userId: string, placeholder: string, now: Date): Promise<void> {
  await tx.execute(
    `update app_user set email = ?, first_name = ?, last_name = ?, password_hash = null, must_change_password = false, status = 'inactive',
            rejection_reason = null, registration_answers = null, updated_at = ?, version = version + 1
      where id = ?`,
    [placeholder, FORGOTTEN_FIRST_NAME, FORGOTTEN_LAST_NAME, now, userId],
  );
}

// ---------------------------------------------------------------------------------------------
// Export (access request)

export async function profileRow(em: EntityManager, userId: string) {
  const rows = await em.execute<
    {
      email: string;
      first_name: string;
      last_name: string;
      role: string;
      status: string;
      must_change_password: boolean;
      rejection_reason: string | null;
      email_verified_at: Date | null;
      created_at: Date;
      updated_at: Date;
      organisation_id: string;
      organisation_name: string;
    }[]
  >(
    `select u.email, u.first_name, u.last_name, u.role, u.status, u.must_change_password, u.rejection_reason, u.email_verified_at,
            u.created_at, u.updated_at, u.organisation_id, o.name as organisation_name
       from app_user u join organisation o on o.id = u.organisation_id where u.id = ?`,
    [userId],
  );
  return rows[0] ?? null;
}

export async function termsEvidenceOf(em: EntityManager, userId: string) {
  return em.execute<{ version_id: number; title: string | null; accepted_at: Date; ip: string; user_agent: string }[]>(
    `select a.version_id, v.title, a.accepted_at, a.ip, a.user_agent
       from terms_acceptance a left join terms_version v on v.id = a.version_id where a.user_id = ? order by a.id`,
    [userId],
  );
}

export async function sessionsOf(em: EntityManager, userId: string) {
  return em.execute<{ created_at: Date; last_seen_at: Date; expires_at: Date; ip: string; user_agent: string }[]>(
    `select created_at, last_seen_at, expires_at, ip, user_agent from user_session where user_id = ? order by created_at`,
    [userId],
  );
}

/** Emails queued for the person (email_outbox.user_id is the recipient). */
export async function emailsTo(em: EntityManager, userId: string) {
  return em.execute<{ id: string; template: string; to_address: string; subject: string | null; status: string; created_at: Date; sent_at: Date | null }[]>(
    `select id, template, to_address, subject, status, created_at, sent_at from email_outbox where user_id = ? order by id`,
    [userId],
  );
}
