import {
  DeliverPolicy,
  type Consumer,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { Logger } from '#lib';
import type { RecordedChange, RecordsFrom, RecordsRetention } from '../store.ts';
import { isNoMessageFound, unavailable } from './errors.ts';
import { changeOf, streamOf, subjectPrefixOf } from './kv-message.ts';

// The call-in records on NATS: a stream that sources the bucket's stream, filtered to the records
// prefix, with its own retention. The server copies every write there, puts and removals and its
// own expiry markers, and keeps them after the bucket has dropped them (a sourcing stream applies
// neither their TTL nor their rollup), so every replica reads the same records, across restarts.

/** The records stream of a bucket (not `KV_…`, which the KV client lists as a bucket). */
export const recordsStreamOf = (bucket: string): string => `C2C_RECORDS_${bucket}`;

/** How long a replay waits for the records stream to have sourced every write made before it. */
const CATCH_UP_MS = 5_000;
/** How long opening waits for the server to start sourcing (about 0.1 s after a create). */
const SOURCING_START_MS = 5_000;
/**
 * Messages per fetch of a replay: a big stream is read in batches, never held whole, and the
 * event loop serves requests between two batches (250 records take about 1–2 ms to apply).
 */
const REPLAY_BATCH = 250;

/** What `ensureRecordsStream` did, completing "the records stream … has been". */
export type RecordsStreamOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Creates the bucket's records stream when it is missing, or updates one with another retention or
 * replica count, then waits for the server to be sourcing into it. Never deletes it: the records are
 * what it is for.
 */
export async function ensureRecordsStream(
  jsm: JetStreamManager,
  bucket: string,
  retention: RecordsRetention,
  replicas: number,
  log: Logger,
): Promise<RecordsStreamOutcome> {
  const outcome = await createOrUpdate(jsm, bucket, retention, replicas, log);
  await sourcingStarted(jsm, recordsStreamOf(bucket), log);
  return outcome;
}

async function createOrUpdate(
  jsm: JetStreamManager,
  bucket: string,
  retention: RecordsRetention,
  replicas: number,
  log: Logger,
): Promise<RecordsStreamOutcome> {
  const name = recordsStreamOf(bucket);
  const wanted = {
    sources: [{ name: streamOf(bucket), filter_subject: `${subjectPrefixOf(bucket)}${retention.prefix}>` }],
    max_age: retention.maxAgeMs * 1_000_000,
    max_msgs: retention.maxChanges,
    num_replicas: replicas,
  };
  let current = await configOf(jsm, name);
  if (!current) {
    try {
      await jsm.streams.add({ name, ...wanted, discard: DiscardPolicy.Old, storage: StorageType.File });
      log.info({ stream: name, ...describe(retention), replicas }, 'the records stream has been created');
      return 'created';
    } catch (err) {
      // Another replica created it a moment ago, with another retention: update it as found.
      if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) throw err;
      current = await configOf(jsm, name);
      if (!current) throw err;
    }
  }
  const source = current.sources?.length === 1 ? current.sources[0] : undefined;
  const same =
    source?.name === wanted.sources[0]?.name &&
    source?.filter_subject === wanted.sources[0]?.filter_subject &&
    current.max_age === wanted.max_age &&
    current.max_msgs === wanted.max_msgs &&
    current.num_replicas === wanted.num_replicas;
  if (same) {
    log.info({ stream: name, ...describe(retention), replicas }, 'the records stream is as configured');
    return 'unchanged';
  }
  await jsm.streams.update(name, wanted);
  log.info(
    {
      stream: name,
      ...describe(retention),
      replicas,
      was: {
        maxAgeMs: current.max_age / 1_000_000,
        maxChanges: current.max_msgs,
        replicas: current.num_replicas,
      },
    },
    'the records stream has been updated',
  );
  return 'updated';
}

/** JetStream's "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/** The stream's configuration, or null when there is no such stream. */
async function configOf(jsm: JetStreamManager, name: string): Promise<StreamConfig | null> {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}

/**
 * Waits until the records stream's source has been active: until then (about 0.1 s after the stream
 * is created, or the server restarts) writes are not copied yet, and a put removed in the meantime
 * is dropped from the bucket before it is copied.
 */
async function sourcingStarted(jsm: JetStreamManager, stream: string, log: Logger): Promise<void> {
  const deadline = Date.now() + SOURCING_START_MS;
  for (;;) {
    // A stream just created on a cluster answers once it has a leader.
    const info = await jsm.streams.info(stream).catch(() => undefined);
    if ((info?.sources?.[0]?.active ?? -1) >= 0) return;
    if (Date.now() > deadline) {
      log.warn({ stream }, `the records stream is not sourcing yet after ${SOURCING_START_MS} ms; going on`);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const describe = (r: RecordsRetention) => ({
  prefix: r.prefix,
  maxAgeMs: r.maxAgeMs,
  maxChanges: r.maxChanges,
});

/** The records of one bucket, read from its records stream (see `CoordinationStore.replayRecords`). */
export class RecordsStream {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #bucketStream: string;
  readonly #stream: string;
  readonly #subjectPrefix: string;
  /** The records' subjects, `$KV.<bucket>.<prefix>>`, in both streams. */
  readonly #subjects: string;
  /** `$KV.<bucket>.<prefix>`: what every record's subject starts with. */
  readonly #subjectsPrefix: string;
  readonly #retention: RecordsRetention;
  readonly #log: Logger;
  /**
   * The consumer of the last replay after a position, kept for the next one if it starts where this
   * one ended: a replica reads the records every few seconds, and a consumer made and deleted for
   * each read would be a stream (and, on a cluster, a meta-leader) operation each time.
   */
  #follow: { consumer: Consumer; next: number } | undefined;

  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    bucket: string,
    retention: RecordsRetention,
    log: Logger,
  ) {
    this.#js = js;
    this.#jsm = jsm;
    this.#bucketStream = streamOf(bucket);
    this.#stream = recordsStreamOf(bucket);
    this.#subjectPrefix = subjectPrefixOf(bucket);
    this.#subjectsPrefix = `${this.#subjectPrefix}${retention.prefix}`;
    this.#subjects = `${this.#subjectsPrefix}>`;
    this.#retention = retention;
    this.#log = log;
  }

  async replay(from: RecordsFrom, onChange: (change: RecordedChange) => void): Promise<number> {
    /** What `onChange` threw: passed on as it is, not as the store's failure. */
    let receiverFailed = false;
    const after = 'after' in from ? from.after : 0;
    try {
      const last = await this.#caughtUp();
      if (!last || last.seq <= after) return after;
      if ('sinceMs' in from && last.time.getTime() < from.sinceMs) return last.seq;
      const follow = this.#follow;
      const reused = 'after' in from && follow?.next === after + 1;
      this.#follow = undefined;
      if (follow && !reused) await follow.consumer.delete().catch(() => undefined);
      const consumer = reused
        ? follow.consumer
        : await this.#js.consumers.get(
            this.#stream,
            'after' in from
              ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
              : from.sinceMs > 0
                ? {
                    deliver_policy: DeliverPolicy.StartTime,
                    opt_start_time: new Date(from.sinceMs).toISOString(),
                  }
                : { deliver_policy: DeliverPolicy.All },
          );
      let position = after;
      let complete = false;
      try {
        // Up to the last record when the replay began: the next replay reads what comes after.
        for (;;) {
          // Exactly what is left up to `last` (a fetch that ends early leaves its request open, and a
          // message arriving for it would make the next fetch start the consumer again).
          const batch = await consumer.fetch({
            max_messages: Math.max(1, Math.min(REPLAY_BATCH, last.seq - position)),
            expires: 2_000,
          });
          let read = 0;
          for await (const m of batch) {
            read++;
            const change = this.#toChange(m);
            receiverFailed = true;
            onChange(change);
            receiverFailed = false;
            position = m.seq;
            if (m.info.pending === 0 || m.seq >= last.seq) {
              complete = m.seq >= last.seq;
              return position;
            }
          }
          // Requests waiting behind this replay go first.
          await new Promise((resolve) => setImmediate(resolve));
          if (read === 0) {
            // Only a server slower than the fetch, or records dropped as they were read, does this.
            this.#log.warn(
              { stream: this.#stream, lastRecord: last.seq },
              'the records replay ended before the last record: none arrived in 2 s',
            );
            // Nothing read at all: no position to go on from (0 would mean every record, later).
            if (position === 0) throw new Error('no record arrived in 2 s');
            return position;
          }
        }
      } finally {
        // Kept for a replay that goes on from here; otherwise freed now (the server would drop it
        // after minutes of inactivity).
        if (complete && !receiverFailed) this.#follow = { consumer, next: position + 1 };
        else void consumer.delete().catch(() => undefined);
      }
    } catch (err) {
      if (receiverFailed) throw err;
      throw unavailable('replay records', err);
    }
  }

  #toChange(m: JsMsg): RecordedChange {
    const key = m.subject.substring(this.#subjectPrefix.length);
    return {
      ...changeOf(key, originRevision(m.headers?.get('Nats-Stream-Source')), m.headers, m.data),
      atMs: m.time.getTime(),
    };
  }

  /**
   * Waits (for a while) until the records stream has sourced every write the bucket has under the
   * records prefix, so that a replay right after a write sees it; returns the records' last message.
   * A write older than the retention counts as sourced: the records would have dropped it by now.
   */
  async #caughtUp(): Promise<StoredMsg | null> {
    const target = await this.#lastRecordIn(this.#bucketStream);
    const deadline = Date.now() + CATCH_UP_MS;
    for (;;) {
      const last = await this.#lastRecordIn(this.#stream);
      if (!target) return last;
      if (last && originRevision(last.header.get('Nats-Stream-Source')) >= target.seq) return last;
      if (target.time.getTime() < Date.now() - this.#retention.maxAgeMs) return last;
      if (Date.now() > deadline) {
        this.#log.warn(
          {
            stream: this.#stream,
            revision: target.seq,
            sourced: last ? originRevision(last.header.get('Nats-Stream-Source')) : 0,
          },
          `the records stream has not sourced the bucket's latest write in ${CATCH_UP_MS} ms; replaying what it has`,
        );
        return last;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * The stream's last message under the records prefix, from its leader, or null: its very last
   * message when that is one (the server reads it at once; the records stream holds nothing else),
   * else found by the records' subject filter, which makes the server walk every subject it holds
   * (2.3 ms of its CPU at 100,000 subjects against 0.1: bench/results/records-stream.md).
   */
  async #lastRecordIn(stream: string): Promise<StoredMsg | null> {
    const last = await this.#lastMessage(stream, '>');
    if (!last || last.subject.startsWith(this.#subjectsPrefix)) return last;
    return this.#lastMessage(stream, this.#subjects);
  }

  async #lastMessage(stream: string, subjects: string): Promise<StoredMsg | null> {
    try {
      return await this.#jsm.streams.getMessage(stream, { last_by_subj: subjects });
    } catch (err) {
      if (isNoMessageFound(err)) return null;
      throw err;
    }
  }
}

/**
 * The revision a sourced message had in the bucket: the origin sequence in its `Nats-Stream-Source`
 * header (`<stream> <sequence> <filter> > <subject> …`); 0 when the header is missing.
 */
export function originRevision(header: string | undefined): number {
  const seq = Number(header?.split(' ')[1]);
  return Number.isSafeInteger(seq) ? seq : 0;
}
