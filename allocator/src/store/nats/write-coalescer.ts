/**
 * Starts writes at the end of this event-loop turn, together with every other write started in it.
 * The client flushes its socket once per microtask turn, so writes begun from separate HTTP requests
 * would each cost a socket write; started together they share one.
 */
export class WriteCoalescer {
  #pending: (() => void)[] = [];

  run<T>(write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push(() => write().then(resolve, reject));
      if (this.#pending.length === 1) {
        setImmediate(() => {
          const writes = this.#pending;
          this.#pending = [];
          for (const start of writes) start();
        });
      }
    });
  }
}
