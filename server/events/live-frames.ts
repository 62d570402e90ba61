import type { DomainEventDto, UserCountsDto } from '../../shared/events.js';
import { isLiveEventType } from './events.repository.js';

/**
 * The live stream's broadcast path: what makes one committed event cheap to deliver to thousands
 * of admin WebSockets on one process.
 *
 * tRPC's WebSocket adapter answers a subscription's value with
 *   JSON.stringify({ id, jsonrpc, result: { type: 'data', data: { id: eventId, data: event }, id: eventId } })
 * (no transformer is configured; `jsonrpc` is omitted when the client did not send it). That frame
 * differs between sockets only by the operation's `id` and `jsonrpc`, which tRPC writes first. So
 * each event's JSON is encoded once per batch (`PreparedEvent.body`), and a socket gets
 * `prefix + body` where the prefix (`{"id":1,`) is taken from the subscription's own `started`
 * response, exactly as tRPC encoded it (`noteSubscriptionStarts`). The frame bytes are also built
 * once per distinct prefix and shared by every socket with that prefix (clients usually share the
 * operation id), so the per-socket work is the WebSocket write itself.
 */

const STARTED_TAIL = '"result":{"type":"started"}}';
const PREFIX_SHAPE = /^\{"id":(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null),(?:"jsonrpc":"2\.0",)?$/;

let startedPrefix: string | null = null;

interface FrameEncoder {
  encode(data: unknown): string | Uint8Array<ArrayBuffer>;
  decode(data: string | ArrayBuffer | Uint8Array): unknown;
}

/**
 * Wraps the WebSocket adapter's encoder (the output is unchanged) to note the prefix of each
 * subscription's `started` response. The adapter sends `started` and then, in the same
 * synchronous step, asks the subscription's iterable for its iterator, which takes the prefix
 * (`takeStartedPrefix`). Any other frame encoded in between, or the end of the current
 * microtask, discards it: a stale prefix is never used.
 */
export function noteSubscriptionStarts(base: FrameEncoder): FrameEncoder {
  return {
    encode(data) {
      const out = base.encode(data);
      startedPrefix = null;
      if (typeof out === 'string' && out.endsWith(STARTED_TAIL)) {
        const prefix = out.slice(0, -STARTED_TAIL.length);
        if (PREFIX_SHAPE.test(prefix)) {
          startedPrefix = prefix;
          queueMicrotask(() => {
            if (startedPrefix === prefix) startedPrefix = null;
          });
        }
      }
      return out;
    },
    decode: (data) => base.decode(data),
  };
}

/** The prefix (`{"id":<op id>,` plus `"jsonrpc":"2.0",` when the client sent it) of the `started` response encoded just now, if any. */
export function takeStartedPrefix(): string | null {
  const p = startedPrefix;
  startedPrefix = null;
  return p;
}

/** Distinct prefixes whose frames one event keeps (beyond this a frame is built per socket and not kept). */
const MAX_CACHED_FRAMES = 8;

/** One live event on its way to subscribers: its JSON encoded once, its frames built once per prefix. */
export class PreparedEvent {
  private bodyText: string | null = null;
  private frames: Map<string, Buffer> | null = null;
  private lastPrefix: string | null = null;
  private lastFrame: Buffer | null = null;

  constructor(
    readonly id: number,
    readonly event: DomainEventDto,
  ) {}

  /** What follows the prefix in tRPC's data frame for tracked(String(id), event). */
  get body(): string {
    if (this.bodyText === null) {
      stats.encodes++;
      const id = JSON.stringify(String(this.id));
      this.bodyText = `"result":{"type":"data","data":{"id":${id},"data":${JSON.stringify(this.event)}},"id":${id}}}`;
    }
    return this.bodyText;
  }

  /** The frame's UTF-8 bytes for one prefix; shared (never modified) by every socket with that prefix. */
  frame(prefix: string): Buffer {
    if (prefix === this.lastPrefix) return this.lastFrame!;
    let f = this.frames?.get(prefix);
    if (!f) {
      f = Buffer.from(prefix + this.body, 'utf8');
      this.frames ??= new Map();
      if (this.frames.size >= MAX_CACHED_FRAMES) return f;
      this.frames.set(prefix, f);
    }
    this.lastPrefix = prefix;
    this.lastFrame = f;
    return f;
  }
}

/** How many times an event's JSON was encoded for the live stream (a test observes it; one per event per process). */
export const stats = { encodes: 0 };

interface PreparedBatch {
  counts: UserCountsDto | null;
  events: readonly PreparedEvent[];
}

// The bus hands every subscriber the same batch array: the first to look prepares it for all.
const prepared = new WeakMap<readonly DomainEventDto[], PreparedBatch>();

/**
 * The batch's live events (user.*, invite.*, settings.changed) in id order, with the counts on
 * the last one (every status change is a user.* or invite.* event), prepared once per batch
 * whatever the number of subscribers.
 */
export function prepareBatch(events: readonly DomainEventDto[], counts: UserCountsDto | null): readonly PreparedEvent[] {
  const hit = prepared.get(events);
  if (hit && hit.counts === counts) return hit.events;
  const out: PreparedEvent[] = [];
  for (const e of events) if (isLiveEventType(e.type)) out.push(new PreparedEvent(e.id, e));
  if (counts && out.length) {
    const last = out[out.length - 1]!;
    out[out.length - 1] = new PreparedEvent(last.id, { ...last.event, counts });
  }
  prepared.set(events, { counts, events: out });
  return out;
}
