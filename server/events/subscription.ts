import { tracked, TRPCError, type TrackedEnvelope } from '@trpc/server';
import type { WebSocket } from 'ws';
import type { DomainEventDto } from '../../shared/events.js';
import type { AppServices } from '../app-services.js';
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
  /** The connection on the WebSocket transport (its send buffer is watched). */
  socket?: WebSocket | undefined;
  lastEventId?: string | number | null | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Every user.*, invite.* and settings.changed event, each as tracked(id, event): first those
 * after `lastEventId` (replayed from the table), then live ones as they commit. Without
 * lastEventId the stream starts after the newest committed event.
 *
 * This resolves only once the starting point is fixed (subscribed to the bus, cursor read), and
 * tRPC acknowledges the subscription (`started`) only when it resolves: so an event committed
 * after `started` is always delivered. (Code inside an async generator runs only when the first
 * value is pulled, i.e. after `started` has gone out; the cursor must not be read there.)
 */
export async function openUserEventStream(opts: UserEventStreamOptions): Promise<UserEventStream> {
  const { app, sessionId, socket, signal } = opts;
  const live = liveEventsOf(app);

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
  const unsubscribe = live.bus.subscribe((events, sessions, counts) => {
    sessionOk = sessions?.asked.has(sessionId) ? sessions.valid.has(sessionId) : null;
    if (sessionOk === false) end = 'revoked';
    const before = queue.length;
    for (const e of events) if (isLiveEventType(e.type)) queue.push(e);
    // The counts ride on the batch's last dashboard event (every status change is a user.* or invite.* event).
    if (counts && queue.length > before) queue[queue.length - 1] = { ...queue[queue.length - 1]!, counts };
    if (queue.length > MAX_QUEUED_EVENTS) end = 'overflow';
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
    if (!started) cleanUp();
  };
  let started = false;
  signal?.addEventListener('abort', onAbort);

  let cursor: number;
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

  async function* stream(): AsyncGenerator<TrackedEnvelope<DomainEventDto>, void, unknown> {
    started = true;
    try {
      if (cleanedUp) return;
      // Every event above the bus's position will still come through the queue; the table only
      // has to supply those between the client's last id and that position.
      const upTo = live.bus.lastPublishedId;

      while (cursor < upTo && !signal?.aborted) {
        const page = await loadLiveEventsBetween(app.em(), cursor, upTo, REPLAY_PAGE);
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
      cleanUp();
    }
  }

  return stream();
}
