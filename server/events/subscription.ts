import { tracked, TRPCError, type TrackedEnvelope } from '@trpc/server';
import { WebSocket } from 'ws';
import type { DomainEventDto } from '../../shared/events.js';
import type { AppServices } from '../app-services.js';
import { latestEventId, loadLiveEventsBetween } from './events.repository.js';
import { liveEventsOf } from './live.js';
import { PreparedEvent, prepareBatch, takeStartedPrefix } from './live-frames.js';

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

export type UserEventStream = AsyncIterable<TrackedEnvelope<DomainEventDto>>;

/**
 * The subscription's output check. tRPC hands an output parser the iterable itself (not each
 * event), so this only confirms it is one; its type is the contract the client infers.
 */
export function userEventStreamOutput(value: unknown): UserEventStream {
  if (value === null || typeof value !== 'object' || !(Symbol.asyncIterator in value)) {
    throw new Error('the live event stream must be an async iterable');
  }
  return value as UserEventStream;
}

function sessionEnded(): TRPCError {
  return new TRPCError({ code: 'FORBIDDEN', message: 'Your admin session has ended' });
}

export interface UserEventStreamOptions {
  app: AppServices;
  sessionId: string;
  ip: string;
  /** The connection on the WebSocket transport (its send buffer is watched; frames may be written to it directly). */
  socket?: WebSocket | undefined;
  lastEventId?: string | number | null | undefined;
  signal?: AbortSignal | undefined;
}

/** Off only in tests, to compare the frames of both paths. */
export const deliveryOptions = { direct: true };

/** The options of every frame the broadcast path writes: a text frame (the bytes are UTF-8 JSON). */
const TEXT_FRAME = { binary: false } as const;

/**
 * Every user.*, invite.* and settings.changed event, each as tracked(id, event): first those
 * after `lastEventId` (replayed from the table), then live ones as they commit. Without
 * lastEventId the stream starts after the newest committed event.
 *
 * This resolves only once the starting point is fixed (subscribed to the bus, cursor read), and
 * tRPC acknowledges the subscription (`started`) only when it resolves: so an event committed
 * after `started` is always delivered. (Nothing is read or sent before tRPC asks for the
 * iterator, i.e. after `started` has gone out; the cursor must not be read there.)
 *
 * Two ways out, the same events in the same order:
 * - **Broadcast (WebSocket):** when tRPC has just sent this subscription's `started` on the socket
 *   (live-frames.ts took its prefix), the stream writes each event's frame to the socket itself,
 *   byte for byte what tRPC would have sent. A live batch reaching an idle subscriber whose session
 *   the batch's snapshot confirmed is written straight from the bus's publish, with no promise,
 *   generator step or encoding per socket; everything else (the replay, a subscriber paused by its
 *   send buffer, a batch whose session must be checked by a query) goes through `events()` below.
 *   tRPC's own loop waits on one `next()` that settles when the stream ends (an error such as
 *   FORBIDDEN, or the end after a cut-off) and sends the error and `stopped` as before.
 * - **Yielded (HTTP/SSE, or no `started` seen):** tRPC pulls tracked(id, event) from `events()`.
 */
export async function openUserEventStream(opts: UserEventStreamOptions): Promise<UserEventStream> {
  const { app, sessionId, socket, signal } = opts;
  const live = liveEventsOf(app);

  let queue: PreparedEvent[] = [];
  let wake: (() => void) | null = null;
  let end: 'revoked' | 'overflow' | null = null;
  /** Set once tRPC has asked for the iterator: the prefix of this subscription's frames on the broadcast path. */
  let prefix: string | null = null;
  /** The events() loop is waiting for live events with nothing queued: the bus may write to the socket itself. */
  let idle = false;
  /** Stopped by tRPC (iterator returned) without the signal having been aborted. */
  let stopped = false;
  const halted = () => stopped || signal?.aborted === true;
  const notify = () => {
    idle = false;
    const w = wake;
    wake = null;
    w?.();
  };
  const backlogged = () => socket !== undefined && socket.bufferedAmount > MAX_BUFFERED_BYTES;

  let cursor = 0;
  // Subscribe before reading the table: whatever commits from here on is either in the replay or in the queue.
  // Whether the session was valid in the snapshot that loaded the latest batch (null: not asked there).
  let sessionOk: boolean | null = null;
  const unsubscribe = live.bus.subscribe((events, sessions, counts) => {
    sessionOk = sessions?.asked.has(sessionId) ? sessions.valid.has(sessionId) : null;
    if (sessionOk === false) end = 'revoked';
    const batch = prepareBatch(events, counts);
    let i = 0;
    if (idle && sessionOk === true && prefix !== null && !halted() && socket!.readyState === WebSocket.OPEN) {
      // The broadcast path: straight to the socket while it keeps up.
      for (; i < batch.length; i++) {
        const e = batch[i]!;
        if (e.id <= cursor) continue;
        if (backlogged()) break;
        socket!.send(e.frame(prefix), TEXT_FRAME);
        cursor = e.id;
      }
    }
    if (i < batch.length) {
      for (; i < batch.length; i++) queue.push(batch[i]!);
      if (queue.length > MAX_QUEUED_EVENTS) end = 'overflow';
    }
    if (queue.length || end) notify();
  });
  const unwatch = live.guard.watch(sessionId, () => {
    end = 'revoked';
    notify();
  });
  let cleanedUp = false;
  const cleanUp = () => {
    if (cleanedUp) return;
    cleanedUp = true;
    unsubscribe();
    unwatch();
    signal?.removeEventListener('abort', onAbort);
    queue = [];
  };
  // An async generator cannot be returned while it awaits; waking it lets tRPC's abort finish at
  // once. Aborting also cleans up a stream that was never iterated (its generator body, and so its
  // `finally`, never ran).
  const onAbort = () => {
    notify();
    if (!begun) cleanUp();
  };
  let begun = false;
  signal?.addEventListener('abort', onAbort);

  try {
    const requested = opts.lastEventId;
    cursor = requested === undefined || requested === null ? await latestEventId(app.em()) : Number(requested);
  } catch (e) {
    cleanUp();
    throw e;
  }

  const cutOff = () => {
    app.log.warn('live subscriber stopped reading; closing its connection', { bufferedBytes: socket?.bufferedAmount, ip: opts.ip });
    socket?.terminate();
  };
  /** Waits for the client to read its backlog; false when it did not in time (its connection is then cut off). */
  const drained = async (): Promise<boolean> => {
    if (!socket) return true;
    const deadline = Date.now() + STALL_MS;
    while (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      if (halted() || end === 'overflow' || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  };

  /** The events in order (the replay, then what the bus queued), with the session and send-buffer checks. */
  async function* events(): AsyncGenerator<PreparedEvent, void, unknown> {
    begun = true;
    try {
      if (cleanedUp) return;
      // Every event above the bus's position will still come through the queue; the table only
      // has to supply those between the client's last id and that position.
      const upTo = live.bus.lastPublishedId;

      while (cursor < upTo && !halted()) {
        const page = await loadLiveEventsBetween(app.em(), cursor, upTo, REPLAY_PAGE);
        if (!page.length) break;
        if (end === 'revoked' || !(await live.guard.isActiveAdmin(sessionId))) throw sessionEnded();
        for (const e of page) {
          if (backlogged() && !(await drained())) return halted() ? undefined : cutOff();
          yield new PreparedEvent(e.id, e);
          cursor = e.id;
        }
        if (page.length < REPLAY_PAGE) break;
      }
      if (cursor < upTo) cursor = upTo;

      while (!halted()) {
        if (end === 'revoked') throw sessionEnded();
        if (end === 'overflow') return cutOff();
        if (!queue.length) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            idle = true;
          });
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
          if (backlogged() && !(await drained())) return halted() ? undefined : cutOff();
          yield e;
          cursor = e.id;
        }
      }
    } finally {
      cleanUp();
    }
  }

  return {
    [Symbol.asyncIterator](): AsyncIterator<TrackedEnvelope<DomainEventDto>> {
      // tRPC sent this subscription's `started` on this socket an instant ago (same synchronous step) when there is a prefix.
      const p = takeStartedPrefix();
      const source = events();
      if (deliveryOptions.direct && p !== null && socket !== undefined && socket.readyState === WebSocket.OPEN && !halted()) {
        prefix = p;
        return broadcastIterator(source, socket, p, halted, () => {
          stopped = true;
          notify();
        });
      }
      return yieldedIterator(source);
    },
  };
}

/** tRPC pulls each event (HTTP/SSE, or a WebSocket whose `started` was not seen). */
async function* yieldedIterator(source: AsyncGenerator<PreparedEvent, void, unknown>): AsyncGenerator<TrackedEnvelope<DomainEventDto>, void, unknown> {
  for await (const e of source) yield tracked(String(e.id), e.event);
}

/**
 * The broadcast path's iterator as tRPC sees it: `next()` settles only when the stream ends;
 * meanwhile what `events()` produces is written to the socket here (what the bus delivers to an
 * idle subscriber is written by the bus handler itself). `return()` (tRPC stopping the
 * subscription) ends it at once.
 */
function broadcastIterator(
  source: AsyncGenerator<PreparedEvent, void, unknown>,
  socket: WebSocket,
  prefix: string,
  halted: () => boolean,
  stop: () => void,
): AsyncIterator<TrackedEnvelope<DomainEventDto>> {
  const finished = (async (): Promise<IteratorResult<TrackedEnvelope<DomainEventDto>>> => {
    for (let r = await source.next(); !r.done; r = await source.next()) {
      // Nothing after tRPC stopped the subscription (its `stopped` may already have gone out).
      if (!halted() && socket.readyState === WebSocket.OPEN) socket.send(r.value.frame(prefix), TEXT_FRAME);
    }
    return { done: true, value: undefined };
  })();
  // tRPC awaits next() at once; should it have stopped first, an error ending the stream is not left unhandled.
  finished.catch(() => undefined);
  return {
    next: () => finished,
    return: () => {
      stop();
      return Promise.resolve({ done: true, value: undefined });
    },
  };
}
