/**
 * Runs `work` over `items` with at most `lanes` of them in flight (SMTP sends of one batch).
 * Each item's outcome is reported through the callbacks; the promise resolves when all are done.
 */
export async function inLanes<T, R>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<R>,
  onDone: (item: T, result: R) => void,
  onError: (item: T, error: unknown) => void,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        onDone(item, await work(item));
      } catch (e) {
        onError(item, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/** Lanes fed while they run (the mail worker's pipelined claims): see feedLanes. */
export interface LaneFeed<T> {
  /** Hands more items to the lanes, after those pushed before. */
  push(items: readonly T[]): void;
  /** How many pushed items no lane has taken yet. */
  readonly backlog: number;
  /** Lanes waiting for an item. */
  readonly idleLanes: number;
  /** Resolves once at most `n` pushed items wait for a lane (at once if that is already so). */
  backlogAtMost(n: number): Promise<void>;
  /** No more items will come: resolves once every lane has finished its last one. */
  end(): Promise<void>;
}

/**
 * Starts `lanes` loops that take the pushed items in order, one at a time each, and run `work` on
 * them (`lane` is the loop's index, for state a lane keeps between its items); `onIdle` is called
 * when a lane finds nothing to take. Unlike inLanes, the items need not all be known at the start:
 * the caller pushes the next batch while the lanes still work on the last one, so no lane waits at
 * the end of a batch for the next claim.
 */
export function feedLanes<T>(
  lanes: number,
  work: (item: T, lane: number) => Promise<void>,
  onError: (item: T, error: unknown) => void,
  onIdle: () => void = () => undefined,
): LaneFeed<T> {
  const queue: T[] = [];
  let head = 0;
  let ended = false;
  // Lanes waiting for an item, and callers waiting for the backlog to shrink.
  const idle: ((item: T | null) => void)[] = [];
  const shrink: { n: number; resolve: () => void }[] = [];
  const backlog = () => queue.length - head;

  function taken() {
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    for (let i = shrink.length - 1; i >= 0; i--) {
      if (backlog() <= shrink[i]!.n) shrink.splice(i, 1)[0]!.resolve();
    }
  }

  function next(): Promise<T | null> | T | null {
    if (head < queue.length) {
      const item = queue[head++]!;
      taken();
      return item;
    }
    if (ended) return null;
    const waiting = new Promise<T | null>((resolve) => idle.push(resolve));
    onIdle();
    return waiting;
  }

  async function lane(index: number): Promise<void> {
    for (;;) {
      const item = await next();
      if (item === null) return;
      try {
        await work(item, index);
      } catch (e) {
        onError(item, e);
      }
    }
  }

  const running = Promise.all(Array.from({ length: Math.max(1, lanes) }, (_, i) => lane(i)));

  return {
    push(items) {
      if (ended) throw new Error('feedLanes: push after end');
      for (const item of items) {
        const waiting = idle.shift();
        if (waiting) waiting(item);
        else queue.push(item);
      }
      taken();
    },
    get backlog() {
      return backlog();
    },
    get idleLanes() {
      return idle.length;
    },
    backlogAtMost(n) {
      if (backlog() <= n) return Promise.resolve();
      return new Promise((resolve) => shrink.push({ n, resolve }));
    },
    async end() {
      ended = true;
      for (const waiting of idle.splice(0)) waiting(null);
      await running;
    },
  };
}
