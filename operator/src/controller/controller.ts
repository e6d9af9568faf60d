import type { Logger } from '#lib';
import type { WorkQueue } from './work-queue.ts';

/**
 * What one reconcile asks of the controller, in the manner of controller-runtime's `reconcile.Result`.
 * Coming back later has one way to say it, `requeueAfterMs`:
 *
 * - `{ outcome: 'success' }`: done. The key's backoff is reset; it comes back when something it watches
 *   changes, or at the periodic resync.
 * - `{ outcome: 'success', requeueAfterMs }`: done for now; reconcile again after that delay even if
 *   nothing changes. Not a failure: the backoff is reset too.
 * - `{ outcome: 'terminal' }`: the object needs a person, and the reconciler has already said so on the
 *   object (a condition, an Event). Not retried: a change to the object brings it back.
 * - a rejection (any error): a failure, retried after the queue's per-key exponential backoff.
 */
export interface ReconcileResult {
  outcome: 'success' | 'terminal';
  /** Reconcile again after this many ms, even if nothing changes. */
  requeueAfterMs?: number;
}

/**
 * Level-triggered: read the current state of `key` (`namespace/name`) and make the world match it;
 * what the answer means is `ReconcileResult`'s. `signal` aborts when the controller stops (shutdown or
 * lost leadership): check it between steps and pass it to every API call, so that no write starts
 * after it.
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
        const delayMs = result.requeueAfterMs;
        if (delayMs !== undefined) {
          if (outcome === 'success') outcome = 'requeue';
          queue.addAfter(key, delayMs);
          log.debug({ key, delayMs }, 'reconcile requeued');
        }
      } catch (err) {
        outcome = 'error';
        if (signal.aborted) {
          log.info({ key, err }, 'reconcile abandoned: the controller is stopping');
        } else {
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
