import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';

/**
 * A BullMQ job scheduler that the worker keeps in place: upserted at start, then checked every
 * `checkEveryMs` and upserted again whenever it is missing (a Redis that lost everything, or one
 * that was replaced). Checks never overlap and never throw; a Redis that is away is simply asked
 * again at the next check.
 */
export class KeptScheduler {
  private readonly logger = new Logger(KeptScheduler.name);
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly queue: Queue,
    private readonly id: string,
    private readonly everyMs: number,
    private readonly jobName: string,
    private readonly checkEveryMs: number,
  ) {}

  /** Upserts the scheduler now, then keeps it. */
  async start(): Promise<void> {
    await this.queue.upsertJobScheduler(this.id, { every: this.everyMs }, { name: this.jobName });
    this.timer = setInterval(() => void this.ensure(), this.checkEveryMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Recreates the scheduler if Redis no longer has it. */
  async ensure(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      if (await this.queue.getJobScheduler(this.id)) return;
      await this.queue.upsertJobScheduler(this.id, { every: this.everyMs }, { name: this.jobName });
      this.logger.warn(`job scheduler ${this.queue.name}/${this.id} was missing (Redis lost it); recreated`);
    } catch {
      /* Redis is away: the next check asks again */
    } finally {
      this.checking = false;
    }
  }
}
