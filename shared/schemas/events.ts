import * as z from 'zod/mini';

// tRPC's tracked() protocol: the client sends back the last id it received as `lastEventId`.
export const onUserEventInput = z.optional(
  z.object({
    lastEventId: z.nullish(
      z.union([z.string().check(z.regex(/^\d{1,15}$/, { error: 'must be an event id' })), z.int().check(z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER))]),
    ),
  }),
);
export type OnUserEventInput = z.infer<typeof onUserEventInput>;

/** The id of the newest committed event, as a string (the form tracked() ids travel in). */
export const eventPositionOutput = z.object({ lastEventId: z.string() });
export type EventPositionOutput = z.infer<typeof eventPositionOutput>;
