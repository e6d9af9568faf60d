import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '#lib';
import {
  MIN_TTL_SECONDS,
  recordsRetention,
  StoreError,
  type CoordinationStore,
  type RecordedChange,
  type RecordsFrom,
  type StoreEntry,
  type StoreEvent,
  type StoreWatch,
  type WatchOptions,
} from '../store.ts';
import { AckMux } from './ack-mux.ts';
import { ConnectionStatus } from './connection-status.ts';
import { conflict, isTimedOut, isWrongLastSequence, keyExists, unavailable } from './errors.ts';
import { KvCreate } from './kv-create.ts';
import {
  conditionalWriteHeaders,
  isLivePut,
  isRemoval,
  purgeHeaders,
  readLastMessage,
  streamOf,
  subjectFilterOf,
  subjectPrefixOf,
  wholeTtlSeconds,
  type KvMessage,
} from './kv-message.ts';
import { openOnNats } from './open.ts';
import { DEFAULT_TIMEOUT_MS, type NatsStoreOptions } from './options.ts';
import { RecordsStream } from './records.ts';
import { StreamLeaderCheck } from './stream-health.ts';
import { watchKeys } from './watch.ts';
import { WriteCoalescer } from './write-coalescer.ts';

/**
 * The coordination store on NATS JetStream KV: history 1, per-message TTL (`Nats-TTL`) equal to the
 * request's expiry, create-if-absent for leases, and compare-and-set (expected last subject sequence)
 * for removal. A lost acknowledgement is resolved by reading the key back on one server; on a
 * cluster, and whatever a read does not settle, it is reported as unavailable.
 */
export class NatsStore implements CoordinationStore {
  readonly kind = 'nats' as const;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  /** `$KV.<bucket>.`: a key's subject is this followed by the key. */
  readonly #subjectPrefix: string;
  readonly #log: Logger;
  readonly #tombstoneTtl: string;
  readonly #timeoutMs: number;
  readonly #acks: AckMux;
  readonly #kvCreate: KvCreate;
  readonly #writes = new WriteCoalescer();
  readonly #status: ConnectionStatus;
  readonly #leaderCheck: StreamLeaderCheck;
  readonly #records: RecordsStream;
  /** The stream has replicas: a read may come from a leader cut off from them. */
  readonly #clustered: boolean;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, options: NatsStoreOptions) {
    this.#jsm = jsm;
    this.#nc = nc;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#js = jetstream(nc, { timeout: this.#timeoutMs });
    this.#stream = streamOf(options.bucket);
    this.#subjectPrefix = subjectPrefixOf(options.bucket);
    this.#log = options.log;
    this.#tombstoneTtl = `${Math.max(MIN_TTL_SECONDS, options.tombstoneTtlSeconds ?? 5)}s`;
    this.#acks = new AckMux(nc, this.#timeoutMs);
    this.#kvCreate = new KvCreate(this.#acks, this.#subjectPrefix, (key) => this.#lastMessage(key));
    this.#status = new ConnectionStatus(nc, this.#log);
    this.#leaderCheck = new StreamLeaderCheck(
      nc,
      this.#stream,
      options.healthCheckMs ?? 2_000,
      () => this.#status.connected,
      this.#log,
    );
    this.#clustered = (options.replicas ?? 1) > 1;
    this.#records = new RecordsStream(
      this.#js,
      jsm,
      options.bucket,
      recordsRetention(options.records),
      this.#log,
    );
  }

  /**
   * Connects, checks that the server and the bucket support per-message TTL (creating the bucket when
   * it is missing), creates or updates the records stream, and returns the store. Throws `STORE_UNSUPPORTED` or `STORE_UNAVAILABLE`.
   */
  static open(options: NatsStoreOptions): Promise<NatsStore> {
    return openOnNats(options, (nc, jsm) => new NatsStore(nc, jsm, options));
  }

  async create(key: string, value: Uint8Array, ttlSeconds: number): Promise<number> {
    this.#status.assertConnected('create');
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#writes.run(() => this.#kvCreate.create(key, value, ttlSeconds));
      } catch (err) {
        if (isWrongLastSequence(err)) {
          // Either live, or a tombstone expired between the client's two steps: look once more.
          if (attempt < 2 && (await this.get(key)) === null) continue;
          throw keyExists(key);
        }
        if (isTimedOut(err)) {
          // Lost acknowledgement: the write may have landed. The key says.
          const entry = liveEntry(key, await this.#readBack(key, 'create', err));
          if (entry && sameBytes(entry.value, value)) return entry.revision;
          if (entry) throw keyExists(key);
        }
        throw unavailable('create', err);
      }
    }
  }

  async replace(key: string, value: Uint8Array, revision: number, ttlSeconds: number): Promise<number> {
    this.#status.assertConnected('replace');
    const headers = conditionalWriteHeaders(revision, wholeTtlSeconds(ttlSeconds));
    try {
      return await this.#writes.run(() => this.#acks.publish(`${this.#subjectPrefix}${key}`, value, headers));
    } catch (err) {
      if (isWrongLastSequence(err)) return this.#settleRefusal(key, revision, value, 'replace', err);
      if (isTimedOut(err)) {
        // Lost acknowledgement: the write may have landed. The key says.
        const entry = liveEntry(key, await this.#readBack(key, 'replace', err));
        if (entry && sameBytes(entry.value, value)) return entry.revision;
        if (!entry || entry.revision !== revision) throw conflict(key, revision);
      }
      throw unavailable('replace', err);
    }
  }

  async get(key: string): Promise<StoreEntry | null> {
    return liveEntry(key, await this.#lastMessage(key));
  }

  async remove(key: string, revision: number, reason: Uint8Array): Promise<number> {
    this.#status.assertConnected('remove');
    const headers = purgeHeaders();
    try {
      const ack = await this.#writes.run(() =>
        this.#js.publish(`${this.#subjectPrefix}${key}`, reason, {
          headers,
          expect: { lastSubjectSequence: revision },
          ttl: this.#tombstoneTtl,
          timeout: this.#timeoutMs,
        }),
      );
      return ack.seq;
    } catch (err) {
      if (isWrongLastSequence(err)) return this.#settleRefusal(key, revision, reason, 'remove', err);
      if (isTimedOut(err)) {
        const entry = await this.#readBack(key, 'remove', err);
        if (entry && !isLivePut(entry.operation, entry.value) && sameBytes(entry.value, reason))
          return entry.revision;
        // Another write came after the revision we removed at: the removal lost, or never landed.
        if (entry && entry.revision !== revision) throw conflict(key, revision);
        // No entry at all: our removal may have landed and its marker expired since (or the key
        // expired). Which, nobody can tell any more, so the outcome is reported as unknown, not as
        // a lost race: a match must not answer NO_MATCH for a request it may have consumed.
      }
      throw unavailable('remove', err);
    }
  }

  /**
   * The live entries `filter` matches, listed by the stream's leader (the subjects of its state) and
   * read from it: a KV key listing runs on a consumer that may sit on a replica still catching up,
   * and would miss keys written a moment ago.
   */
  async list(filter: string): Promise<StoreEntry[]> {
    this.#status.assertConnected('list');
    try {
      const info = await this.#jsm.streams.info(this.#stream, {
        subjects_filter: subjectFilterOf(this.#subjectPrefix, filter),
      });
      const keys = Object.keys(info.state.subjects ?? {}).map((subject) =>
        subject.substring(this.#subjectPrefix.length),
      );
      const entries = await Promise.all(keys.map((k) => this.get(k)));
      return entries.filter((e): e is StoreEntry => e !== null);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw unavailable('list', err);
    }
  }

  watch(
    filter: string,
    onEvent: (event: StoreEvent) => void,
    options: WatchOptions = {},
  ): Promise<StoreWatch> {
    const source = {
      js: this.#js,
      stream: this.#stream,
      subjectPrefix: this.#subjectPrefix,
      snapshot: (f: string) => this.list(f),
      status: this.#status,
      log: this.#log,
    };
    return watchKeys(source, filter, onEvent, options);
  }

  async replayRecords(from: RecordsFrom, onChange: (change: RecordedChange) => void): Promise<number> {
    this.#status.assertConnected('replay records');
    return this.#records.replay(from, onChange);
  }

  healthy(): boolean {
    return this.#status.connected && this.#leaderCheck.hasLeader && !this.#nc.isClosed();
  }

  async close(): Promise<void> {
    this.#leaderCheck.stop();
    // Draining lets acknowledgements still on their way arrive; whatever waits after that fails.
    await this.#nc.drain().catch(() => this.#nc.close());
    this.#acks.close();
  }

  /**
   * The key's last message after a lost acknowledgement, read back to settle the write's outcome —
   * on one server only. On a cluster the outcome is reported as unknown: a read that wrongly says
   * "it landed" acknowledges a write the cluster may drop, and no guard tried (the leader's stream
   * info, a barrier write) has been shown safe against a leader cut off from its peers
   * (docs/operations.md, What the allocator does on a cluster).
   */
  async #readBack(key: string, op: string, err: unknown): Promise<KvMessage | null> {
    if (this.#clustered) throw unavailable(op, err);
    return this.#lastMessage(key);
  }

  /**
   * A compare-and-set refused with "wrong last sequence": a conflict on one server. On a cluster the
   * refusal may come from a node that still takes itself for the stream's leader (cut off a moment
   * ago, or just back from a partition) while the real leader applied the write: both answer, and the
   * first answer wins (the partition fault test saw matches answer NO_MATCH for requests they had
   * consumed). The key settles it: holding what was written (the caller's markers are its own: an
   * end carries an id of its own), the write landed; another removal after `revision`, a real
   * conflict (the request removed by another replica); else unknown — gone, not past `revision`
   * (read from that same node, maybe), or a put after it (a new request, or another replica's
   * cooling marker), which may follow this write as well as another's.
   */
  async #settleRefusal(
    key: string,
    revision: number,
    written: Uint8Array,
    op: string,
    err: unknown,
  ): Promise<number> {
    if (!this.#clustered) throw conflict(key, revision);
    const last = await this.#lastMessage(key);
    if (last && last.revision > revision) {
      if (sameBytes(last.value, written)) return last.revision;
      if (op === 'remove' && isRemoval(last.operation, last.value)) throw conflict(key, revision);
    }
    throw unavailable(op, err);
  }

  /** The key's last message, from the stream's leader (see {@link readLastMessage}). */
  async #lastMessage(key: string): Promise<KvMessage | null> {
    this.#status.assertConnected('get');
    try {
      return await readLastMessage(this.#jsm, this.#stream, `${this.#subjectPrefix}${key}`);
    } catch (err) {
      throw unavailable('get', err);
    }
  }
}

/** The key's live entry in its last message, or null for a marker or none. */
function liveEntry(key: string, m: KvMessage | null): StoreEntry | null {
  return m && isLivePut(m.operation, m.value) ? { key, value: m.value, revision: m.revision } : null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
