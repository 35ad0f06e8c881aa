import { StatementBatcher } from './statement-batcher.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('StatementBatcher', () => {
  it('sends calls of one event-loop turn together, and answers each with its own result', async () => {
    const batches: number[][] = [];
    const batcher = new StatementBatcher<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((i) => i * 10);
      },
      { maxInFlight: 2, maxItems: 100 },
    );
    const results = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('keeps at most maxInFlight batches at the database; the rest wait and go together', async () => {
    const releases: (() => void)[] = [];
    const batches: number[][] = [];
    const batcher = new StatementBatcher<number, number>(
      (items) =>
        new Promise((resolve) => {
          batches.push(items);
          releases.push(() => resolve(items));
        }),
      { maxInFlight: 1, maxItems: 2 },
    );
    const first = batcher.submit(1);
    await tick();
    const rest = [2, 3, 4].map((i) => batcher.submit(i));
    await tick();
    expect(batches).toEqual([[1]]);
    releases.shift()!();
    await first;
    await tick();
    expect(batches).toEqual([[1], [2, 3]]);
    releases.shift()!();
    await tick();
    await tick();
    expect(batches).toEqual([[1], [2, 3], [4]]);
    releases.shift()!();
    expect(await Promise.all(rest)).toEqual([2, 3, 4]);
  });

  it('sorts a batch by lock order and still answers each caller', async () => {
    const batches: string[][] = [];
    const batcher = new StatementBatcher<string, string>(
      async (items) => {
        batches.push(items);
        return items.map((i) => i.toUpperCase());
      },
      { maxInFlight: 1, maxItems: 10, lockOrder: (item) => item },
    );
    expect(await Promise.all(['c', 'a', 'b'].map((i) => batcher.submit(i)))).toEqual(['C', 'A', 'B']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('retries the items of a batch refused by PostgreSQL one by one, so only the bad one fails', async () => {
    const calls: number[][] = [];
    const batcher = new StatementBatcher<number, number>(
      async (items) => {
        calls.push(items);
        if (items.includes(2)) throw pgError('22003');
        return items;
      },
      { maxInFlight: 1, maxItems: 10 },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((i) => batcher.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('fails the whole batch, without retrying, when the connection was lost (the outcome is unknown)', async () => {
    let calls = 0;
    const batcher = new StatementBatcher<number, number>(
      async () => {
        calls++;
        throw new Error('Connection terminated unexpectedly');
      },
      { maxInFlight: 1, maxItems: 10 },
    );
    const settled = await Promise.allSettled([1, 2].map((i) => batcher.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
  });
});
