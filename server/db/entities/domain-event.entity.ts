import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

// Append-only. actorId/userId are plain columns, not foreign keys: history outlives deleted users.
export const DomainEvent = defineEntity({
  name: 'DomainEvent',
  tableName: 'domain_event',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    type: p.string().length(64),
    actorId: p.uuid().nullable(),
    userId: p.uuid().nullable(),
    /** The API token the change was made with (events/actor-context.ts), and its name at the time. */
    actorTokenId: p.uuid().nullable(),
    actorTokenName: p.string().length(100).nullable(),
    data: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  // The audit log's filters (migration 20261214100001, built concurrently); the trigram one only with pg_trgm.
  indexes: [
    { name: 'domain_event_actor_idx', expression: 'create index domain_event_actor_idx on domain_event (actor_id, id) where actor_id is not null' },
    { name: 'domain_event_type_idx', properties: ['type', 'id'] },
    { name: 'domain_event_created_idx', properties: ['createdAt', 'id'] },
    {
      name: 'domain_event_organisation_idx',
      expression: `create index domain_event_organisation_idx on domain_event ((coalesce(data->'organisation'->>'id', data->'user'->>'organisationId')), id)`,
    },
  ],
});
export type DomainEvent = InferEntity<typeof DomainEvent>;
