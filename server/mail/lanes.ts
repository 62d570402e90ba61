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
