import { tracked, TRPCError, type TrackedEnvelope } from '@trpc/server';
import { WebSocket } from 'ws';
import type { DomainEventDto, UserCountsDto } from '../../shared/events.js';
import type { AppServices } from '../app-services.js';
import type { SessionSnapshot } from './bus.js';
import { latestEventId, loadLiveEventsBetween } from './events.repository.js';
import { liveEventsOf, type LiveEvents } from './live.js';
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
 *   byte for byte what tRPC would have sent. A live batch reaching a subscriber with nothing
 *   pending, whose session the batch's snapshot confirmed, is written straight from the bus's
 *   publish: no promise, generator step or encoding per socket, and nothing held per idle
 *   subscriber but its state. Everything else (the replay, a subscriber paused by its send
 *   buffer, a batch whose session needs a query, the end) runs `events()` below until nothing is
 *   pending (`pump`). tRPC's own loop waits on one `next()` that settles when the stream ends (an
 *   error such as FORBIDDEN, or the end after a cut-off) and sends the error and `stopped` as before.
 * - **Yielded (HTTP/SSE, or no `started` seen):** tRPC pulls tracked(id, event) from `events()`.
 */
export async function openUserEventStream(opts: UserEventStreamOptions): Promise<UserEventStream> {
  const stream = new LiveStream(opts);
  await stream.fixCursor(opts.lastEventId);
  return stream;
}

type Done = IteratorResult<TrackedEnvelope<DomainEventDto>>;
const DONE: Done = { done: true, value: undefined };
const IDLE = Symbol('idle');

/**
 * One subscription's state. A class rather than closures: thousands of idle subscribers each hold
 * one object (its methods are shared), which keeps a connection's memory small.
 */
class LiveStream implements AsyncIterable<TrackedEnvelope<DomainEventDto>>, AsyncIterator<TrackedEnvelope<DomainEventDto>> {
  private readonly app: AppServices;
  private readonly live: LiveEvents;
  private readonly sessionId: string;
  private readonly ip: string;
  private readonly socket: WebSocket | undefined;
  private readonly signal: AbortSignal | undefined;

  private queue: PreparedEvent[] = [];
  /** Yielded mode: wakes the events() loop waiting for live events. */
  private wake: (() => void) | null = null;
  private end: 'revoked' | 'overflow' | null = null;
  /** Broadcast mode (set when tRPC asks for the iterator): the prefix of this subscription's frames. */
  private prefix: string | null = null;
  /** Broadcast mode: events() is running (whenever it is not, nothing is queued and the bus writes to the socket itself). */
  private pumping = false;
  /** Stopped by tRPC: the iterator returned, or the signal aborted (kept here: the bus asks for every batch). */
  private stopped = false;
  private cursor = 0;
  /** Whether the session was valid in the snapshot that loaded the latest batch (null: not asked there). */
  private sessionOk: boolean | null = null;
  private cleanedUp = false;
  private begun = false;
  private replayed = false;
  /** Broadcast mode: how the stream ended, and tRPC's pending next() waiting for it. */
  private outcome: { error: Error } | 'done' | null = null;
  private waiter: { resolve: (r: Done) => void; reject: (e: Error) => void } | null = null;
  private readonly unwatch: () => void;
  private readonly onAbort: (() => void) | null = null;

  constructor(opts: UserEventStreamOptions) {
    this.app = opts.app;
    this.live = liveEventsOf(opts.app);
    this.sessionId = opts.sessionId;
    this.ip = opts.ip;
    this.socket = opts.socket;
    this.signal = opts.signal;
    // Subscribe before reading the table: whatever commits from here on is either in the replay or in the queue.
    this.live.bus.attach(this);
    this.unwatch = this.live.guard.watch(this.sessionId, () => {
      this.end = 'revoked';
      this.notify();
    });
    if (this.signal) {
      // An async generator cannot be returned while it awaits; waking it lets tRPC's abort finish
      // at once. Aborting also cleans up a stream that was never iterated (its generator body, and
      // so its `finally`, never ran).
      this.stopped = this.signal.aborted;
      this.onAbort = () => {
        this.stopped = true;
        this.notify();
        if (!this.begun) this.cleanUp();
      };
      this.signal.addEventListener('abort', this.onAbort);
    }
  }

  /** The starting point: after lastEventId, else after the newest committed event. */
  async fixCursor(requested: string | number | null | undefined): Promise<void> {
    try {
      this.cursor = requested === undefined || requested === null ? await latestEventId(this.app.em()) : Number(requested);
    } catch (e) {
      this.cleanUp();
      throw e;
    }
  }

  private halted(): boolean {
    return this.stopped;
  }

  private notify() {
    const w = this.wake;
    this.wake = null;
    w?.();
    if (this.prefix !== null && !this.pumping) this.pump();
  }

  private backlogged(): boolean {
    return this.socket !== undefined && this.socket.bufferedAmount > MAX_BUFFERED_BYTES;
  }

  /** The bus's handler: each committed batch, in id order. */
  onBatch(events: readonly DomainEventDto[], sessions: SessionSnapshot | null, counts: UserCountsDto | null): void {
    const ok = sessions?.asked.has(this.sessionId) ? sessions.valid.has(this.sessionId) : null;
    this.sessionOk = ok;
    if (ok === false) this.end = 'revoked';
    const batch = prepareBatch(events, counts);
    let i = 0;
    const socket = this.socket;
    const prefix = this.prefix;
    if (prefix !== null && !this.pumping && ok === true && !this.halted() && socket!.readyState === WebSocket.OPEN) {
      // The broadcast path (nothing is queued): straight to the socket while it keeps up.
      for (; i < batch.length; i++) {
        const e = batch[i]!;
        if (e.id <= this.cursor) continue;
        if (socket!.bufferedAmount > MAX_BUFFERED_BYTES) break;
        socket!.send(e.frame(prefix), TEXT_FRAME);
        this.cursor = e.id;
      }
    }
    if (i < batch.length) {
      for (; i < batch.length; i++) this.queue.push(batch[i]!);
      if (this.queue.length > MAX_QUEUED_EVENTS) this.end = 'overflow';
    }
    if (this.queue.length || this.end) this.notify();
  }

  private cleanUp() {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    this.live.bus.detach(this);
    this.unwatch();
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
    this.queue = [];
  }

  private cutOff(): undefined {
    this.app.log.warn('live subscriber stopped reading; closing its connection', { bufferedBytes: this.socket?.bufferedAmount, ip: this.ip });
    this.socket?.terminate();
    return undefined;
  }

  /** Waits for the client to read its backlog; false when it did not in time (its connection is then cut off). */
  private async drained(): Promise<boolean> {
    const socket = this.socket;
    if (!socket) return true;
    const deadline = Date.now() + STALL_MS;
    while (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      if (this.halted() || this.end === 'overflow' || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /**
   * The events in order (the replay, then what the bus queued), with the session and send-buffer
   * checks. `untilIdle` (broadcast mode): returns IDLE once nothing is queued instead of waiting,
   * and runs again when something is.
   */
  private async *events(untilIdle: boolean): AsyncGenerator<PreparedEvent, typeof IDLE | undefined, unknown> {
    this.begun = true;
    let idle = false;
    try {
      if (this.cleanedUp) return;
      if (!this.replayed) {
        this.replayed = true;
        // Every event above the bus's position will still come through the queue; the table only
        // has to supply those between the client's last id and that position.
        const upTo = this.live.bus.lastPublishedId;
        while (this.cursor < upTo && !this.halted()) {
          const page = await loadLiveEventsBetween(this.app.em(), this.cursor, upTo, REPLAY_PAGE);
          if (!page.length) break;
          if (this.end === 'revoked' || !(await this.live.guard.isActiveAdmin(this.sessionId))) throw sessionEnded();
          for (const e of page) {
            if (this.backlogged() && !(await this.drained())) return this.halted() ? undefined : this.cutOff();
            yield new PreparedEvent(e.id, e);
            this.cursor = e.id;
          }
          if (page.length < REPLAY_PAGE) break;
        }
        if (this.cursor < upTo) this.cursor = upTo;
      }

      while (!this.halted()) {
        if (this.end === 'revoked') throw sessionEnded();
        if (this.end === 'overflow') return this.cutOff();
        if (!this.queue.length) {
          if (untilIdle) {
            idle = true;
            return IDLE;
          }
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        const batch = this.queue;
        this.queue = [];
        const cursor = this.cursor;
        const fresh = batch[0]!.id > cursor ? batch : batch.filter((e) => e.id > cursor);
        if (!fresh.length) continue;
        // Checked on every delivery: normally by the query that loaded the batch, else by a (batched) query now.
        const checked = this.sessionOk;
        this.sessionOk = null;
        if (checked !== true && !(await this.live.guard.isActiveAdmin(this.sessionId))) throw sessionEnded();
        for (const e of fresh) {
          if (this.backlogged() && !(await this.drained())) return this.halted() ? undefined : this.cutOff();
          yield e;
          this.cursor = e.id;
        }
      }
    } finally {
      if (!idle) this.cleanUp();
    }
  }

  /** Broadcast mode: runs events() (writing what it yields) until nothing is pending, or the stream ends. */
  private pump() {
    this.pumping = true;
    void this.runPump(this.events(true));
  }

  private async runPump(source: AsyncGenerator<PreparedEvent, typeof IDLE | undefined, unknown>) {
    const socket = this.socket!;
    const prefix = this.prefix!;
    try {
      let r = await source.next();
      for (; !r.done; r = await source.next()) {
        // Nothing after tRPC stopped the subscription (its `stopped` may already have gone out).
        if (!this.halted() && socket.readyState === WebSocket.OPEN) socket.send(r.value.frame(prefix), TEXT_FRAME);
      }
      this.pumping = false;
      if (r.value !== IDLE) this.settle('done');
      // Something arrived while the pump was finishing: run again.
      else if (this.queue.length || this.end || this.halted()) this.pump();
    } catch (e) {
      this.pumping = false;
      this.settle({ error: e instanceof Error ? e : new Error(String(e)) });
    }
  }

  private settle(o: { error: Error } | 'done') {
    if (this.outcome) return;
    this.outcome = o;
    const w = this.waiter;
    this.waiter = null;
    if (!w) return;
    if (o === 'done') w.resolve(DONE);
    else w.reject(o.error);
  }

  [Symbol.asyncIterator](): AsyncIterator<TrackedEnvelope<DomainEventDto>> {
    // Present when tRPC sent this subscription's `started` on this socket an instant ago (the same synchronous step).
    const prefix = takeStartedPrefix();
    const socket = this.socket;
    if (deliveryOptions.direct && prefix !== null && socket !== undefined && socket.readyState === WebSocket.OPEN && !this.halted() && !this.begun) {
      this.prefix = prefix;
      this.pump();
      return this;
    }
    return yieldedIterator(this.events(false));
  }

  /**
   * Broadcast mode: tRPC's one next(); it settles when the stream ends, with done or the error
   * that ended it (an end that comes before tRPC asks is kept, never an unhandled rejection).
   */
  next(): Promise<Done> {
    const o = this.outcome;
    if (o === 'done') return Promise.resolve(DONE);
    if (o) return Promise.reject(o.error);
    return new Promise<Done>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Broadcast mode: tRPC stops the subscription. */
  return(): Promise<Done> {
    this.stopped = true;
    this.notify();
    return Promise.resolve(DONE);
  }
}

/** tRPC pulls each event (HTTP/SSE, or a WebSocket whose `started` was not seen). */
async function* yieldedIterator(source: AsyncGenerator<PreparedEvent, unknown, unknown>): AsyncGenerator<TrackedEnvelope<DomainEventDto>, void, unknown> {
  for await (const e of source) yield tracked(String(e.id), e.event);
}
