/**
 * How far a watch has got: the highest revision it has delivered or skipped, and the callers waiting
 * for it to reach one (`StoreWatch.reached`).
 */
export class RevisionProgress {
  #reached: number;
  #stopped = false;
  readonly #waiters = new Set<{ revision: number; settle: (reached: boolean) => void }>();

  constructor(reached = 0) {
    this.#reached = reached;
  }

  get revision(): number {
    return this.#reached;
  }

  /** The watch has passed `revision`: wakes whoever waits for it or an earlier one. */
  advance(revision: number): void {
    if (revision <= this.#reached) return;
    this.#reached = revision;
    for (const w of this.#waiters) if (w.revision <= revision) w.settle(true);
  }

  reached(revision: number, timeoutMs: number): Promise<boolean> {
    if (revision <= this.#reached) return Promise.resolve(true);
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        settle: (reached: boolean) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** The watch stopped: every waiter gets false, and so does every later call short of the mark. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiters) w.settle(false);
  }
}
