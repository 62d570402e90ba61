import { z } from 'zod';
import { tracked, TRPCError } from '@trpc/server';
import type { DomainEventDto } from '../../shared/events.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { isLiveEventType, latestEventId, loadLiveEventsBetween } from './events.repository.js';
import { liveEventsOf } from './live.js';

/**
 * Send-buffer bound per subscriber. Above it the stream pauses until the client has read its
 * backlog; a client that stays above it for STALL_MS has stopped reading, and its connection is
 * terminated (it reconnects and resumes from its last id) instead of the server buffering without
 * limit. Events waiting meanwhile are shared references from the bus, bounded by MAX_QUEUED_EVENTS.
 */
export const MAX_BUFFERED_BYTES = 512 * 1024;
export const STALL_MS = 3_000;
/** Live events waiting for one subscriber (during its replay or a pause); more than this ends its connection. */
export const MAX_QUEUED_EVENTS = 10_000;
const REPLAY_PAGE = 250;

// tRPC's tracked() protocol: the client sends back the last id it received as `lastEventId`.
const onUserEventInput = z
  .object({
    lastEventId: z
      .union([z.string().regex(/^\d{1,15}$/, { message: 'must be an event id' }), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
      .nullish(),
  })
  .optional();

function sessionEnded(): TRPCError {
  return new TRPCError({ code: 'FORBIDDEN', message: 'Your admin session has ended' });
}

export const eventsRouter = router({
  /**
   * The id of the newest event. A page reads it before loading its data and subscribes with it as
   * lastEventId, so nothing committed in between is missed, even if the socket drops before the
   * first event arrives (a subscription without lastEventId starts "now" at every reconnect).
   */
  position: adminProcedure.output(z.object({ lastEventId: z.string() })).query(async ({ ctx }) => ({ lastEventId: String(await latestEventId(ctx.app.em())) })),

  /**
   * Every user.*, invite.* and settings.changed event, each as tracked(id, event): first those
   * after `lastEventId` (replayed from the table), then live ones as they commit. Without
   * lastEventId the stream starts now (the page loads its list by query first).
   */
  onUserEvent: adminProcedure.input(onUserEventInput).subscription(async function* ({ ctx, input, signal }) {
    const live = liveEventsOf(ctx.app);
    const sessionId = ctx.auth.sessionId;
    const socket = ctx.socket;

    let queue: DomainEventDto[] = [];
    let wake: (() => void) | null = null;
    let end: 'revoked' | 'overflow' | null = null;
    const notify = () => {
      const w = wake;
      wake = null;
      w?.();
    };

    // Subscribe before reading the table: whatever commits from here on is either in the replay or in the queue.
    // Whether the session was valid in the snapshot that loaded the latest batch (null: not asked there).
    let sessionOk: boolean | null = null;
    const unsubscribe = live.bus.subscribe((events, sessions) => {
      sessionOk = sessions?.asked.has(sessionId) ? sessions.valid.has(sessionId) : null;
      if (sessionOk === false) end = 'revoked';
      for (const e of events) if (isLiveEventType(e.type)) queue.push(e);
      if (queue.length > MAX_QUEUED_EVENTS) end = 'overflow';
      if (queue.length || end) notify();
    });
    const unwatch = live.guard.watch(sessionId, () => {
      end = 'revoked';
      notify();
    });
    // An async generator cannot be returned while it awaits; waking it lets tRPC's abort finish at once.
    signal?.addEventListener('abort', notify);

    const cutOff = () => {
      ctx.app.log.warn('live subscriber stopped reading; closing its connection', { bufferedBytes: socket?.bufferedAmount, ip: ctx.ip });
      socket?.terminate();
    };
    const backlogged = () => socket !== undefined && socket.bufferedAmount > MAX_BUFFERED_BYTES;
    /** Waits for the client to read its backlog; false when it did not in time (its connection is then cut off). */
    const drained = async (): Promise<boolean> => {
      if (!socket) return true;
      const deadline = Date.now() + STALL_MS;
      while (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        if (signal?.aborted || end === 'overflow' || Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    };

    try {
      const requested = input?.lastEventId;
      // Without lastEventId the stream starts "now": after the newest committed event.
      let cursor = requested === undefined || requested === null ? await latestEventId(ctx.app.em()) : Number(requested);
      // Every event above the bus's position will still come through the queue; the table only
      // has to supply those between the client's last id and that position.
      const upTo = live.bus.lastPublishedId;

      while (cursor < upTo && !signal?.aborted) {
        const page = await loadLiveEventsBetween(ctx.app.em(), cursor, upTo, REPLAY_PAGE);
        if (!page.length) break;
        if (end === 'revoked' || !(await live.guard.isActiveAdmin(sessionId))) throw sessionEnded();
        for (const e of page) {
          if (backlogged() && !(await drained())) return signal?.aborted ? undefined : cutOff();
          yield tracked(String(e.id), e);
          cursor = e.id;
        }
        if (page.length < REPLAY_PAGE) break;
      }
      if (cursor < upTo) cursor = upTo;

      while (!signal?.aborted) {
        if (end === 'revoked') throw sessionEnded();
        if (end === 'overflow') return cutOff();
        if (!queue.length) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const batch = queue;
        queue = [];
        const fresh = batch[0]!.id > cursor ? batch : batch.filter((e) => e.id > cursor);
        if (!fresh.length) continue;
        // Checked on every delivery: normally by the query that loaded the batch, else by a (batched) query now.
        const checked = sessionOk;
        sessionOk = null;
        if (checked !== true && !(await live.guard.isActiveAdmin(sessionId))) throw sessionEnded();
        for (const e of fresh) {
          if (backlogged() && !(await drained())) return signal?.aborted ? undefined : cutOff();
          yield tracked(String(e.id), e);
          cursor = e.id;
        }
      }
    } finally {
      unsubscribe();
      unwatch();
      signal?.removeEventListener('abort', notify);
      queue = [];
    }
  }),
});
