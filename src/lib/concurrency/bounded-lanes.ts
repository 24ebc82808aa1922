/**
 * Runs `work` over items with at most `concurrency` in flight, results in item order.
 * When one item throws, the other lanes finish their current item and take no more;
 * every lane settles before the error is rethrown, so no work outlives the call.
 */
export async function inLanes<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (next < items.length && !stopped) {
      signal?.throwIfAborted();
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (err) {
        stopped = true;
        throw err;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  return results;
}
