import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainEventDto } from '../../shared/events.js';
import { toEventDto, type EventRow } from './events.repository.js';

/** A feed item: the event, plus the API token a change was made with (null for the app's own pages). */
export type FeedEventDto = DomainEventDto & { actorToken: { id: string; name: string } | null };

/**
 * Every event with id > afterId, all types, oldest first, at most `limit` (the REST feed,
 * GET /api/v1/events). Ids become visible in commit order (append.ts), so a poller that resumes
 * after the last id it saw misses nothing.
 */
export async function feedEventsAfter(em: EntityManager, afterId: number, limit: number): Promise<FeedEventDto[]> {
  const rows = await em.execute<(EventRow & { actor_token_id: string | null; actor_token_name: string | null })[]>(
    `select e.id, e.type, e.actor_id, e.user_id, e.data, e.created_at, e.actor_token_id, e.actor_token_name,
            nullif(trim(coalesce(a.first_name, '') || ' ' || coalesce(a.last_name, '')), '') as actor_name
       from domain_event e left join app_user a on a.id = e.actor_id
      where e.id > ? order by e.id limit ?`,
    [afterId, limit],
  );
  return rows.map((r) => ({
    ...toEventDto(r),
    actorToken: r.actor_token_id ? { id: r.actor_token_id, name: r.actor_token_name ?? '' } : null,
  }));
}
