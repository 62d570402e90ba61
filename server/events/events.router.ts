import { eventPositionOutput, onUserEventInput } from '../../shared/schemas/events.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { latestEventId } from './events.repository.js';
import { openUserEventStream, userEventStreamOutput } from './subscription.js';

export const eventsRouter = router({
  /**
   * The id of the newest event. A page reads it before loading its data and subscribes with it as
   * lastEventId, so nothing committed in between is missed, even if the socket drops before the
   * first event arrives (a subscription without lastEventId starts "now" at every reconnect).
   */
  position: adminProcedure.output(eventPositionOutput).query(async ({ ctx }) => ({ lastEventId: String(await latestEventId(ctx.app.em())) })),

  /** The admin dashboard's live stream (see subscription.ts). */
  onUserEvent: adminProcedure
    .input(onUserEventInput)
    .output(userEventStreamOutput)
    .subscription(({ ctx, input, signal }) =>
      openUserEventStream({ app: ctx.app, sessionId: ctx.auth.sessionId, ip: ctx.ip, socket: ctx.socket, lastEventId: input?.lastEventId, signal }),
    ),
});
