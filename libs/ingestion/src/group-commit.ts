export interface GroupCommitOptions {
  /** Groups committing at once; a call arriving while all are busy waits and joins the next group. */
  maxInFlight: number;
  /** Most units (events) one group takes; a single call larger than this still goes alone. */
  maxGroupSize: number;
  /**
   * Whether a failed group of several calls should be tried again one call at a time, so that a
   * call which cannot be stored fails alone instead of failing the calls that shared its group.
   * Not for failures every call would meet (the database is down).
   */
  retryAlone: (error: unknown) => boolean;
}

interface Waiting<T, R> {
  item: T;
  size: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: calls that arrive while earlier ones are committing are gathered and committed
 * together in one transaction, and each caller gets its own result once that transaction has
 * committed. An idle service commits a call at once (no added latency); a busy one pays the fixed
 * cost of a transaction (statements, locks, planning, the commit's WAL flush) once per group
 * instead of once per call. Hand-written because it is a few lines of core logic with ingestion's
 * own rules (sizes in events, which failures are retried alone), not plumbing a library would own.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: T, size: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, size, resolve, reject });
      this.startGroups();
    });
  }

  private startGroups(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const group = this.takeGroup();
      this.inFlight += 1;
      void this.run(group).finally(() => {
        this.inFlight -= 1;
        this.startGroups();
      });
    }
  }

  /** The oldest waiting calls, in arrival order, up to maxGroupSize units (at least one call). */
  private takeGroup(): Waiting<T, R>[] {
    let size = this.waiting[0].size;
    let count = 1;
    while (count < this.waiting.length && size + this.waiting[count].size <= this.options.maxGroupSize) {
      size += this.waiting[count].size;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private async run(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.commit(group.map((entry) => entry.item));
      group.forEach((entry, index) => entry.resolve(results[index]));
    } catch (error) {
      if (group.length === 1 || !this.options.retryAlone(error)) {
        for (const entry of group) entry.reject(error);
        return;
      }
      for (const entry of group) {
        try {
          const [result] = await this.commit([entry.item]);
          entry.resolve(result);
        } catch (alone) {
          entry.reject(alone);
        }
      }
    }
  }
}
