import type { DomainEventDto, UserCountsDto } from '../../shared/events.js';
import { countLiveSubscribers, observeEventsPublished } from '../metrics.js';

/**
 * Which of the watched sessions were still valid (active admin, not expired) in the same database
 * snapshot that loaded the batch, i.e. after the batch's events committed. Sessions that started
 * being watched too late to be asked are absent from `asked`.
 */
export interface SessionSnapshot {
  asked: ReadonlySet<string>;
  valid: ReadonlySet<string>;
}

/**
 * A batch's handler. `counts`: the per-status user counts right after the batch's last event, when
 * they changed since the previous batch that carried them (null otherwise).
 */
export type EventBatchHandler = (events: readonly DomainEventDto[], sessions: SessionSnapshot | null, counts: UserCountsDto | null) => void;

/**
 * The in-process fan-out of committed domain events. The LISTEN connection (listener.ts) is its
 * only publisher and publishes each batch in id order, never an id twice and never skipping one,
 * so `lastPublishedId` is this process's position in the event table: every event above it is
 * still to come through `subscribe`.
 */
/** A subscriber object (attach/detach): no closure per subscription, for the thousands a process may hold. */
export interface BatchSubscriber {
  onBatch: EventBatchHandler;
}

export class EventBus {
  private readonly handlers = new Set<BatchSubscriber>();
  private lastId = 0;

  constructor(private readonly onHandlerError: (error: unknown) => void = () => undefined) {}

  /** The highest event id published so far (or the table's maximum when the listener started). */
  get lastPublishedId(): number {
    return this.lastId;
  }

  get subscriberCount(): number {
    return this.handlers.size;
  }

  /** Sets the starting position (the listener does this once, before anything is published). */
  startAt(id: number): void {
    if (id > this.lastId) this.lastId = id;
  }

  /** Calls `handler` with every batch published from now on. Returns the unsubscribe function. */
  subscribe(handler: EventBatchHandler): () => void {
    // A fresh subscriber per subscription so the same handler can be subscribed twice and removed once.
    const sub: BatchSubscriber = { onBatch: handler };
    this.attach(sub);
    return () => this.detach(sub);
  }

  /** Calls `sub.onBatch` with every batch published from now on, until detach(sub). */
  attach(sub: BatchSubscriber): void {
    if (this.handlers.has(sub)) return;
    this.handlers.add(sub);
    countLiveSubscribers(1);
  }

  detach(sub: BatchSubscriber): void {
    if (this.handlers.delete(sub)) countLiveSubscribers(-1);
  }

  /** Publishes one ordered batch; ids at or below lastPublishedId are dropped (they were published already). */
  publish(events: readonly DomainEventDto[], sessions: SessionSnapshot | null = null, counts: UserCountsDto | null = null): void {
    let batch = events;
    if (batch.length && batch[0]!.id <= this.lastId) batch = batch.filter((e) => e.id > this.lastId);
    if (!batch.length) return;
    this.lastId = batch[batch.length - 1]!.id;
    observeEventsPublished(batch);
    for (const h of this.handlers) {
      try {
        h.onBatch(batch, sessions, counts);
      } catch (e) {
        this.onHandlerError(e);
      }
    }
  }
}
