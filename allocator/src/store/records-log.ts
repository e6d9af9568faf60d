import type { RecordedChange, RecordsRetention } from './store.ts';

/**
 * The memory store's records: its changes under the records prefix, oldest first, dropped by age
 * and count as the NATS records stream drops them.
 */
export class RecordsLog {
  readonly #retention: RecordsRetention;
  readonly #now: () => number;
  /** The kept changes are `#changes[#head..]`; the dropped ones before it are cut off now and then. */
  #changes: RecordedChange[] = [];
  #head = 0;
  #lastRevision = 0;

  constructor(retention: RecordsRetention, now: () => number) {
    this.#retention = retention;
    this.#now = now;
  }

  /** Whether changes of `key` are kept. */
  covers(key: string): boolean {
    return key.startsWith(this.#retention.prefix);
  }

  /** The revision of the latest change appended (0 when none), kept however old it is. */
  get lastRevision(): number {
    return this.#lastRevision;
  }

  append(change: RecordedChange): void {
    this.#changes.push(change);
    this.#lastRevision = change.revision;
    this.#drop();
  }

  /** The kept changes recorded at or after `sinceMs`, oldest first. */
  since(sinceMs: number): RecordedChange[] {
    this.#drop();
    return this.#changes.slice(this.#head).filter((change) => change.atMs >= sinceMs);
  }

  /** The kept changes made after revision `revision`, oldest first. */
  after(revision: number): RecordedChange[] {
    this.#drop();
    const changes = this.#changes;
    // Changes are appended in revision order: find the first later one from the end, where a
    // catch-up's few new changes are.
    let i = changes.length;
    while (i > this.#head && (changes[i - 1] as RecordedChange).revision > revision) i--;
    return changes.slice(i);
  }

  #drop(): void {
    const { maxAgeMs, maxChanges } = this.#retention;
    const oldestKept = this.#now() - maxAgeMs;
    const changes = this.#changes;
    while (
      this.#head < changes.length &&
      (changes.length - this.#head > maxChanges || (changes[this.#head] as RecordedChange).atMs < oldestKept)
    )
      this.#head++;
    if (this.#head > 1_024 && this.#head * 2 > changes.length) {
      this.#changes = changes.slice(this.#head);
      this.#head = 0;
    }
  }
}
