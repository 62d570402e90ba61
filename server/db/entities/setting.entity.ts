import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const Setting = defineEntity({
  name: 'Setting',
  tableName: 'setting',
  properties: {
    key: p.string().primary().length(100),
    value: p.json<unknown>(),
    /** Bumped by every write (writeSetting): the general settings' ETag is 1 + the sum over their keys. */
    version: p.integer().default(1),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Setting = InferEntity<typeof Setting>;
