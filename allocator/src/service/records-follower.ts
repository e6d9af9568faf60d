import { errorMessage, type Logger } from '#lib';
import type { LiveView } from '../domain/index.ts';
import type { CoordinationStore } from '../store/index.ts';

/**
 * Brings the view up to date with the store's records, which hold every replica's writes: once at
 * start (the history period), then on demand, before a read that must reflect what other replicas
 * wrote. Each catch-up reads only what was recorded since the previous one, in batches, so a
 * replica pays for other replicas' writes when something reads them, not for each write as it
 * happens (the watch, which does, covers only the keys that steer allocation).
 */
export class RecordsFollower {
  readonly #store: CoordinationStore;
  readonly #view: LiveView;
  readonly #log: Logger | undefined;
  /** Where the last replay ended; undefined until the records have been read once. */
  #position: number | undefined;
  #sinceMs = 0;
  #running: Promise<boolean> | undefined;
  #queued: Promise<boolean> | undefined;
  #failing = false;

  constructor(store: CoordinationStore, view: LiveView, log?: Logger) {
    this.#store = store;
    this.#view = view;
    this.#log = log;
  }

  /**
   * Replays the records since `sinceMs` (what happened before this replica started). A store whose
   * records cannot be read leaves the history to what is learnt from now on.
   */
  async start(sinceMs: number): Promise<void> {
    this.#sinceMs = sinceMs;
    await this.catchUp();
  }

  /**
   * Resolves once the view reflects every write made, by any replica, before the call: true, or
   * false when the records could not be read (the view is then as it was). Calls that arrive during
   * a catch-up share the one after it.
   */
  catchUp(): Promise<boolean> {
    if (this.#queued) return this.#queued;
    if (this.#running) {
      // The running one may have started before this call's writes: one more after it, for all.
      const next = () => {
        this.#queued = undefined;
        return this.#run();
      };
      const queued = this.#running.then(next, next);
      this.#queued = queued;
      return queued;
    }
    return this.#run();
  }

  #run(): Promise<boolean> {
    const running = this.#read().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #read(): Promise<boolean> {
    try {
      // The first read (at start, or later if the store was unreachable then) replays the history
      // period, whose ends are not counted as seen now; later ones go on from where it ended.
      const first = this.#position === undefined;
      const from = this.#position === undefined ? { sinceMs: this.#sinceMs } : { after: this.#position };
      this.#position = await this.#store.replayRecords(from, (c) => this.#view.applyRecorded(c, !first));
      if (this.#failing) this.#log?.info("the store's records can be read again");
      this.#failing = false;
      return true;
    } catch (err) {
      // Logged once per outage: every read asks while it lasts.
      if (!this.#failing)
        this.#log?.warn({ err }, `the store's records could not be read: ${errorMessage(err)}`);
      this.#failing = true;
      return false;
    }
  }
}
