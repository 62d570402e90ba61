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
});
export type DomainEvent = InferEntity<typeof DomainEvent>;
