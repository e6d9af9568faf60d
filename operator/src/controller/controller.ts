import type { Logger } from '#lib';
import { RetryLater } from './errors.ts';
import type { WorkQueue } from './work-queue.ts';

/**
 * What one reconcile found. `terminal`: the object needs a person (already reported on the object);
 * `requeueAfterMs`: come back then even if nothing changes.
 */
export interface ReconcileResult {
  outcome: 'success' | 'terminal';
  requeueAfterMs?: number;
}

/**
 * Level-triggered: read the current state of `key` (`namespace/name`) and make the world match it.
 * Resolving means done (see `ReconcileResult`); throwing `RetryLater` means come back after its delay;
 * throwing anything else means retry with the queue's per-key backoff.
 */
export interface Reconciler {
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult>;
}

export type ReconcileOutcome = 'success' | 'terminal' | 'requeue' | 'error';

export interface ControllerHooks {
  onReconciled?(outcome: ReconcileOutcome, seconds: number): void;
  onQueueDepth?(depth: number): void;
}

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconciler: Reconciler;
  log: Logger;
  /** Workers; one key is never reconciled by two at once (default 1). */
  concurrency?: number;
  /** Every key from `keys()` is queued this often (default 10 min; 0: off). */
  resyncIntervalMs?: number;
  /** All keys, for the periodic resync. */
  keys: () => string[];
  hooks?: ControllerHooks;
}

/** Runs workers that take keys from the queue and reconcile them; a leader-only runnable. */
export class Controller {
  readonly name: string;
  readonly #o: ControllerOptions;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#o = options;
  }

  /** Runs until `signal` aborts, then lets in-flight reconciles finish. */
  async start(signal: AbortSignal): Promise<void> {
    const { queue, log } = this.#o;
    for (const key of this.#o.keys()) queue.add(key);
    const resyncMs = this.#o.resyncIntervalMs ?? 600_000;
    const resync =
      resyncMs > 0
        ? setInterval(() => {
            for (const key of this.#o.keys()) queue.add(key);
          }, resyncMs)
        : undefined;
    resync?.unref();
    const depth = setInterval(() => this.#o.hooks?.onQueueDepth?.(queue.length + queue.delayed), 1_000);
    depth.unref();
    const stop = () => queue.shutdown();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    const workers = Array.from({ length: this.#o.concurrency ?? 1 }, () => this.#worker(signal));
    log.info({ controller: this.name, workers: workers.length }, 'controller started');
    await Promise.all(workers);
    clearInterval(resync);
    clearInterval(depth);
    log.info({ controller: this.name }, 'controller stopped');
  }

  async #worker(signal: AbortSignal): Promise<void> {
    const { queue, reconciler, log, hooks } = this.#o;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const started = performance.now();
      let outcome: ReconcileOutcome;
      try {
        const result = await reconciler.reconcile(key, signal);
        queue.forget(key);
        outcome = result.outcome;
        if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        if (err instanceof RetryLater) {
          outcome = 'requeue';
          queue.forget(key);
          queue.addAfter(key, err.delayMs);
          log.debug({ key, delayMs: err.delayMs }, 'reconcile requeued');
        } else {
          outcome = 'error';
          const delayMs = queue.addRateLimited(key);
          log.warn({ key, err, delayMs, attempt: queue.numRequeues(key) }, 'reconcile failed; retrying');
        }
      } finally {
        queue.done(key);
      }
      hooks?.onReconciled?.(outcome, (performance.now() - started) / 1000);
      hooks?.onQueueDepth?.(queue.length + queue.delayed);
    }
  }
}
