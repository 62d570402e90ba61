import { z } from 'zod';

// tRPC's tracked() protocol: the client sends back the last id it received as `lastEventId`.
export const onUserEventInput = z
  .object({
    lastEventId: z
      .union([z.string().regex(/^\d{1,15}$/, { message: 'must be an event id' }), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
      .nullish(),
  })
  .optional();
export type OnUserEventInput = z.infer<typeof onUserEventInput>;

/** The id of the newest committed event, as a string (the form tracked() ids travel in). */
export const eventPositionOutput = z.object({ lastEventId: z.string() });
export type EventPositionOutput = z.infer<typeof eventPositionOutput>;
