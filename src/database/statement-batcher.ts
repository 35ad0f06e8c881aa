/**
 * Coalesces concurrent calls of one hot statement into one round trip. Calls that arrive in the
 * same turn of the event loop — or while `maxInFlight` batches are already at the database — are
 * sent together, as one statement that handles every item in order in one transaction: under load
 * N requests cost one round trip and one commit instead of N, and alone a call waits for nothing.
 *
 * Items are sorted by `lockOrder` first, so that two batches take row locks in the same order and
 * cannot deadlock each other. A batch refused as a whole by PostgreSQL (an error with a SQLSTATE,
 * so nothing of it was committed) is retried item by item, so that one bad item fails alone; a
 * lost connection fails the batch (whether it committed is unknown).
 */
export interface BatcherOptions<I> {
  /** Batches at the database at once (the rest wait and are sent together). */
  maxInFlight: number;
  /** Items per batch. */
  maxItems: number;
  /** Sort key for the items of a batch (the row locks they take). */
  lockOrder?: (item: I) => string;
}

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class StatementBatcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly execute: (items: I[]) => Promise<R[]>,
    private readonly options: BatcherOptions<I>,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.options.maxItems);
      const { lockOrder } = this.options;
      if (lockOrder && batch.length > 1) {
        const keyed = batch.map((p) => ({ p, key: lockOrder(p.item) }));
        keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        batch.splice(0, batch.length, ...keyed.map((k) => k.p));
      }
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.execute(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1 || !rolledBack(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      for (const p of batch) {
        await this.execute([p.item]).then(
          ([result]) => p.resolve(result),
          (itemError: unknown) => p.reject(itemError),
        );
      }
    }
  }
}

/** PostgreSQL refused the statement (it answered with a SQLSTATE): nothing of it was committed. */
function rolledBack(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
}
