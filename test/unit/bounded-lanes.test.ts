/**
 * inLanes: results in item order, never more than `concurrency` items in flight, the
 * first error stops taking items and is thrown only after every lane has settled, and
 * an aborted signal stops the run.
 */
import { inLanes } from '../../src/lib/concurrency/bounded-lanes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inLanes', () => {
  test('results come back in item order whatever order the work finishes in', async () => {
    const items = [50, 5, 30, 1, 20, 10, 0];
    const results = await inLanes(items, 3, async (ms, index) => {
      await sleep(ms);
      return `${index}:${ms}`;
    });
    expect(results).toEqual(items.map((ms, i) => `${i}:${ms}`));
  });

  test.each([1, 3, 8, 50])('never more than %i in flight, and all lanes used', async (concurrency) => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    await inLanes(items, concurrency, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(2 + (i % 4) * 3);
      inFlight--;
    });
    expect(most).toBe(Math.min(concurrency, items.length));
    expect(inFlight).toBe(0);
  });

  test('an error stops taking new items; lanes finish their current item before the error is thrown', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const items = Array.from({ length: 10 }, (_, i) => i);
    const run = inLanes(items, 3, async (i) => {
      started.push(i);
      if (i === 1) {
        await sleep(5);
        throw new Error('item 1 is broken');
      }
      await sleep(60);
      finished.push(i);
      return i;
    });
    await expect(run).rejects.toThrow('item 1 is broken');
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 2]);
  });

  test('an abort signal stops taking items and rejects with its reason', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = inLanes(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (i) => {
        started.push(i);
        if (i === 3) controller.abort(new Error('cancelled by the user'));
        await sleep(5);
        return i;
      },
      controller.signal,
    );
    await expect(run).rejects.toThrow('cancelled by the user');
    expect(started).toEqual([0, 1, 2, 3]);
    await expect(inLanes([1, 2], 2, async (x) => x, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  test('no items, and a concurrency above the item count', async () => {
    expect(await inLanes([], 4, async () => 1)).toEqual([]);
    expect(await inLanes(['a'], 16, async (x) => x.toUpperCase())).toEqual(['A']);
  });
});
