import * as z from 'zod/mini';
import { uuidSchema } from './common.js';
import { rejectUserInput, timelineEventSchema } from './users.js';
import { reconsiderUserInput, updateUserInput } from './user-admin.js';
import { createOrganisationInput } from './organisations.js';
import { generalSettingsSchema } from './settings.js';

/*
 * The REST API's own shapes (/api/v1, server/api/). Each is the app's schema rearranged for HTTP,
 * never a second copy of a rule: the user id comes from the path and the version from If-Match, so
 * a body is the tRPC input without those two, built from the very same field validators. REST
 * bodies are strict (an unknown key is refused), so a typo in an integration fails loudly.
 */

export const userIdParams = z.object({ userId: uuidSchema });
export const organisationIdParams = z.object({ organisationId: uuidSchema });

/** PATCH /users/{userId}: any of the editable fields; the rest stay as they are. */
export const apiUpdateUserBody = z.partial(
  z.strictObject({
    firstName: updateUserInput.shape.firstName,
    lastName: updateUserInput.shape.lastName,
    organisationId: updateUserInput.shape.organisationId,
    role: updateUserInput.shape.role,
  }),
);
export type ApiUpdateUserBody = z.infer<typeof apiUpdateUserBody>;

/** POST /users/{userId}/reject: the optional reason the user is told. */
export const apiRejectUserBody = z.strictObject({ reason: rejectUserInput.shape.reason });

/** POST /users/{userId}/reconsider: back to the queue or straight to active; email optional. */
export const apiReconsiderUserBody = z.strictObject({ to: reconsiderUserInput.shape.to, notify: reconsiderUserInput.shape.notify });

/** POST /organisations and PATCH /organisations/{organisationId}. */
export const apiOrganisationBody = z.strictObject({ name: createOrganisationInput.shape.name });

/** PUT /settings: the whole of Settings › General. */
export const apiGeneralSettingsBody = z.strictObject(generalSettingsSchema.shape);

/** An operation that takes no request body: nothing, or an empty JSON object. */
export const apiEmptyBody = z.strictObject({});

// ---------------------------------------------------------------------------------------------
// The event feed: GET /events?after=<id>, for integrations that poll instead of receiving webhooks.

export const EVENT_FEED_LIMIT_DEFAULT = 100;
export const EVENT_FEED_LIMIT_MAX = 500;

export const eventFeedInput = z.object({
  /** Events with an id above this one: 0 for the beginning, else the previous page's nextAfter. */
  after: z._default(
    z
      .number({ error: 'after must be an event id' })
      .check(z.int({ error: 'after must be a whole number' }), z.gte(0, { error: 'after must be 0 or more' }), z.lte(Number.MAX_SAFE_INTEGER)),
    0,
  ),
  limit: z._default(
    z
      .number({ error: 'Limit must be a number' })
      .check(
        z.int({ error: 'Limit must be a whole number' }),
        z.gte(1, { error: 'Limit must be at least 1' }),
        z.lte(EVENT_FEED_LIMIT_MAX, { error: `Limit must be at most ${EVENT_FEED_LIMIT_MAX}` }),
      ),
    EVENT_FEED_LIMIT_DEFAULT,
  ),
});
export type EventFeedQuery = z.output<typeof eventFeedInput>;

/** One domain event as the feed gives it: the timeline's shape, plus the API token a change was made with. */
export const feedEventSchema = z.extend(timelineEventSchema, {
  actorToken: z.nullable(z.object({ id: z.string(), name: z.string() })),
});

export const eventFeedOutput = z.object({
  /** Oldest first. */
  items: z.array(feedEventSchema),
  /** Pass as `after` next time: the last item's id, or the `after` asked for when there was none. */
  nextAfter: z.int(),
  /** True when more events were waiting beyond this page (ask again at once). */
  hasMore: z.boolean(),
});
export type EventFeedOutput = z.infer<typeof eventFeedOutput>;
