import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  PubHeaders,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import {
  connect,
  credsAuthenticator,
  headers,
  TimeoutError,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/transport-node';
import { errorMessage, type Logger } from '#lib';
import { AckMux } from './ack-mux.ts';
import {
  MIN_TTL_SECONDS,
  StoreCode,
  StoreError,
  type CoordinationStore,
  type StoreEntry,
  type StoreEvent,
  type StoreWatch,
  type WatchOptions,
} from './store.ts';

export interface NatsStoreOptions {
  /**
   * e.g. `nats://127.0.0.1:4222`, or a comma-separated seed list of a cluster's nodes; user and
   * password may be given in the URL.
   */
  url: string;
  /** Content of a NATS credentials file (JWT + NKey seed). */
  credentials?: Uint8Array;
  /** CA certificate file to verify the server; turns TLS on. */
  caFile?: string;
  bucket: string;
  /**
   * Stream replicas of the bucket (R1 for development, R3 in production): created so, and an
   * existing bucket with another count is refused.
   */
  replicas?: number;
  /** How often the bucket's stream is asked whether it has a leader (ms; readiness follows it). */
  healthCheckMs?: number;
  /** How long the server keeps the marker it writes when a key expires (ms, at least 1000). */
  markerTtlMs?: number;
  /** How long a removal marker lives before the key's subject is empty again (seconds). */
  tombstoneTtlSeconds?: number;
  /** Wait for a JetStream acknowledgement this long before reading the key back (ms). */
  timeoutMs?: number;
  connectionName?: string;
  log: Logger;
}

/** Tries to open the bucket while JetStream answers with time-outs (about 60 s in all). */
const OPEN_ATTEMPTS = 10;

/** nats-server release that introduced per-message TTL (ADR-43). */
const MIN_SERVER_VERSION = [2, 11, 0] as const;

/**
 * The coordination store on NATS JetStream KV: history 1, per-message TTL (`Nats-TTL`) equal to the
 * request's expiry, create-if-absent for leases, and compare-and-set (expected last subject sequence)
 * for removal. A lost acknowledgement is resolved by reading the key back.
 */
export class NatsStore implements CoordinationStore {
  readonly kind = 'nats' as const;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #bucket: string;
  /** `$KV.<bucket>.`: a key's subject is this followed by the key. */
  readonly #subjectPrefix: string;
  readonly #log: Logger;
  readonly #tombstoneTtl: string;
  readonly #timeoutMs: number;
  readonly #acks: AckMux;
  #connected = true;
  /** The bucket's stream answered with a leader at the last check. */
  #streamHealthy = true;
  #healthTimer: NodeJS.Timeout | undefined;
  /** Watches to restart with a fresh snapshot after a reconnection (their consumers may be gone). */
  readonly #restartOnReconnect = new Set<() => void>();
  readonly #firstWriteHeadersByTtl = new Map<number, MsgHdrs>();
  /** Writes waiting for the end of this event-loop turn (see #coalesced). */
  #pendingWrites: (() => void)[] = [];

  private constructor(nc: NatsConnection, jsm: JetStreamManager, options: NatsStoreOptions) {
    this.#jsm = jsm;
    this.#nc = nc;
    this.#js = jetstream(nc, { timeout: options.timeoutMs ?? 5_000 });
    this.#bucket = options.bucket;
    this.#subjectPrefix = `$KV.${options.bucket}.`;
    this.#log = options.log;
    this.#tombstoneTtl = `${Math.max(MIN_TTL_SECONDS, options.tombstoneTtlSeconds ?? 5)}s`;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#acks = new AckMux(nc, this.#timeoutMs);
    void this.#followStatus();
    const every = options.healthCheckMs ?? 2_000;
    if (every > 0) {
      this.#healthTimer = setInterval(() => void this.#checkStream(), every);
      this.#healthTimer.unref();
    }
  }

  /**
   * Whether the bucket's stream can take writes: it answers its info with a leader (a clustered
   * stream without quorum has none, and writes to it fail until one is elected).
   */
  async #checkStream(): Promise<void> {
    if (!this.#connected) return;
    let healthy: boolean;
    try {
      const jsm = await jetstreamManager(this.#nc, { timeout: 2_000 });
      const info = await jsm.streams.info(`KV_${this.#bucket}`);
      healthy = info.cluster === undefined || typeof info.cluster.leader === 'string';
    } catch {
      healthy = false;
    }
    if (healthy !== this.#streamHealthy) {
      if (healthy) this.#log.info('the KV bucket has a stream leader again');
      else this.#log.warn('the KV bucket has no stream leader (no quorum?): not ready');
    }
    this.#streamHealthy = healthy;
  }

  /**
   * Connects, checks that the server and the bucket support per-message TTL (creating the bucket when
   * it is missing) and returns the store. Throws `STORE_UNSUPPORTED` or `STORE_UNAVAILABLE`.
   */
  static async open(options: NatsStoreOptions): Promise<NatsStore> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: seedList(options.url),
        name: options.connectionName ?? 'c2c-allocator',
        maxReconnectAttempts: -1,
        // Reconnect across the seeds (and the nodes the servers tell about) quickly, with jitter, so
        // that replicas reconnecting after a node loss do not arrive all at once.
        reconnectTimeWait: 500,
        reconnectJitter: 500,
        reconnectJitterTLS: 1_000,
        timeout: 10_000,
        // No stack capture per request: measurable CPU at thousands of requests a second.
        noAsyncTraces: true,
        ...(options.credentials ? { authenticator: credsAuthenticator(options.credentials) } : {}),
        ...(options.caFile ? { tls: { caFile: options.caFile } } : {}),
      });
    } catch (err) {
      throw new StoreError(
        StoreCode.Unavailable,
        `cannot connect to NATS at ${redactUrl(options.url)}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    try {
      const version = nc.info?.version ?? '0.0.0';
      if (compareVersions(version, MIN_SERVER_VERSION) < 0) {
        throw new StoreError(
          StoreCode.Unsupported,
          `nats-server ${version} has no per-message TTL; the allocator needs nats-server ${MIN_SERVER_VERSION.join('.')} or newer`,
          { details: { serverVersion: version } },
        );
      }
      // A cluster still electing its JetStream leaders answers with time-outs for a while: retry.
      for (let attempt = 1; ; attempt++) {
        try {
          await openBucket(nc, options);
          const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs ?? 5_000 });
          await waitForStreamLeader(jsm, `KV_${options.bucket}`);
          return new NatsStore(nc, jsm, options);
        } catch (err) {
          const transient = err instanceof TimeoutError || isTimeout(err) || isTemporarilyUnavailable(err);
          if (!transient || attempt >= OPEN_ATTEMPTS) throw err;
          options.log.warn({ err, attempt }, 'the KV bucket cannot be opened yet; retrying');
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }
    } catch (err) {
      await nc.close().catch(() => undefined);
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        StoreCode.Unavailable,
        `cannot open the KV bucket ${options.bucket}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async create(key: string, value: Uint8Array, ttlSeconds: number): Promise<number> {
    this.#failFastWhenDisconnected('create');
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#coalesced(() => this.#createOnce(key, value, ttlSeconds));
      } catch (err) {
        if (isWrongLastSequence(err)) {
          // Either live, or a tombstone expired between the client's two steps: look once more.
          if (attempt < 2 && (await this.get(key)) === null) continue;
          throw new StoreError(StoreCode.KeyExists, `key ${key} is live`, { details: { key } });
        }
        if (err instanceof TimeoutError || isTimeout(err)) {
          // Lost acknowledgement: the write may have landed. The key says.
          const entry = await this.get(key);
          if (entry && sameBytes(entry.value, value) && (await this.#answeredByQuorum()))
            return entry.revision;
          if (entry) throw new StoreError(StoreCode.KeyExists, `key ${key} is live`, { details: { key } });
        }
        throw this.#unavailable('create', err);
      }
    }
  }

  /**
   * What `kv.create` does, with the acknowledgement awaited on {@link AckMux}: write if the key's
   * last sequence is 0; when that fails (other than with a JetStream error that is not a wrong last
   * sequence) and the key's last message is a delete or purge marker, write once more expecting that
   * marker's sequence; otherwise the first error stands.
   */
  async #createOnce(key: string, value: Uint8Array, ttlSeconds: number): Promise<number> {
    const ttlSecondsWhole = Math.max(MIN_TTL_SECONDS, Math.ceil(ttlSeconds));
    const put = (previousSeq: number) =>
      this.#acks.publish(
        `${this.#subjectPrefix}${key}`,
        value,
        previousSeq === 0
          ? this.#firstWriteHeaders(ttlSecondsWhole)
          : createHeaders(previousSeq, ttlSecondsWhole),
      );
    try {
      return await put(0);
    } catch (err) {
      if (err instanceof JetStreamApiError && !isWrongLastSequence(err)) throw err;
      const last = await this.#rawGet(key);
      if (last?.operation === 'DEL' || last?.operation === 'PURGE') return put(last.revision);
      throw err;
    }
  }

  /**
   * The headers of a create-if-absent with this TTL, built and encoded once: the client encodes a
   * message's headers into a new buffer on every publish, and these never change.
   */
  #firstWriteHeaders(ttlSeconds: number): MsgHdrs {
    let h = this.#firstWriteHeadersByTtl.get(ttlSeconds);
    if (!h) {
      // `encode` is how the client serialises headers (not part of its typed interface): should a
      // later client stop calling it, this only stops saving work; the headers stay the same.
      const encodable = createHeaders(0, ttlSeconds) as MsgHdrs & { encode(): Uint8Array };
      const encoded = encodable.encode();
      encodable.encode = () => encoded;
      h = encodable;
      this.#firstWriteHeadersByTtl.set(ttlSeconds, h);
    }
    return h;
  }

  async replace(key: string, value: Uint8Array, revision: number, ttlSeconds: number): Promise<number> {
    this.#failFastWhenDisconnected('replace');
    const ttl = Math.max(MIN_TTL_SECONDS, Math.ceil(ttlSeconds));
    try {
      return await this.#coalesced(() =>
        this.#acks.publish(`${this.#subjectPrefix}${key}`, value, createHeaders(revision, ttl)),
      );
    } catch (err) {
      const conflict = () =>
        new StoreError(StoreCode.Conflict, `key ${key} is not at revision ${revision}`, { details: { key } });
      if (isWrongLastSequence(err)) throw conflict();
      if (err instanceof TimeoutError || isTimeout(err)) {
        // Lost acknowledgement: the write may have landed. The key says.
        const entry = await this.get(key);
        if (entry && sameBytes(entry.value, value) && (await this.#answeredByQuorum())) return entry.revision;
        if (!entry || entry.revision !== revision) throw conflict();
      }
      throw this.#unavailable('replace', err);
    }
  }

  async get(key: string): Promise<StoreEntry | null> {
    const entry = await this.#rawGet(key);
    return entry && isLivePut(entry.operation, entry.value)
      ? { key, value: entry.value, revision: entry.revision }
      : null;
  }

  async remove(key: string, revision: number, reason: Uint8Array): Promise<number> {
    this.#failFastWhenDisconnected('remove');
    const h = headers();
    h.set(KV_OPERATION, 'PURGE');
    h.set('Nats-Rollup', 'sub');
    try {
      const ack = await this.#coalesced(() =>
        this.#js.publish(`${this.#subjectPrefix}${key}`, reason, {
          headers: h,
          expect: { lastSubjectSequence: revision },
          ttl: this.#tombstoneTtl,
          timeout: this.#timeoutMs,
        }),
      );
      return ack.seq;
    } catch (err) {
      if (isWrongLastSequence(err)) {
        throw new StoreError(StoreCode.Conflict, `key ${key} is not at revision ${revision}`, {
          details: { key },
        });
      }
      if (err instanceof TimeoutError || isTimeout(err)) {
        const entry = await this.#rawGet(key);
        if (
          entry &&
          !isLivePut(entry.operation, entry.value) &&
          sameBytes(entry.value, reason) &&
          (await this.#answeredByQuorum())
        )
          return entry.revision;
        // Another write came after the revision we removed at: the removal lost, or never landed.
        if (entry && entry.revision !== revision) {
          throw new StoreError(StoreCode.Conflict, `key ${key} is not at revision ${revision}`, {
            details: { key },
          });
        }
        // No entry at all: our removal may have landed and its marker expired since (or the key
        // expired). Which, nobody can tell any more, so the outcome is reported as unknown, not as
        // a lost race: a match must not answer NO_MATCH for a request it may have consumed.
      }
      throw this.#unavailable('remove', err);
    }
  }

  /**
   * The live entries under `prefix`, listed by the stream's leader (the subjects of its state) and
   * read from it: a KV key listing runs on a consumer that may sit on a replica still catching up,
   * and would miss keys written a moment ago.
   */
  async list(prefix: string): Promise<StoreEntry[]> {
    this.#failFastWhenDisconnected('list');
    try {
      const info = await this.#jsm.streams.info(`KV_${this.#bucket}`, {
        subjects_filter: `${this.#subjectPrefix}${prefix}>`,
      });
      const keys = Object.keys(info.state.subjects ?? {}).map((subject) =>
        subject.substring(this.#subjectPrefix.length),
      );
      const entries = await Promise.all(keys.map((k) => this.get(k)));
      return entries.filter((e): e is StoreEntry => e !== null);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw this.#unavailable('list', err);
    }
  }

  async watch(
    prefix: string,
    onEvent: (event: StoreEvent) => void,
    options: WatchOptions = {},
  ): Promise<StoreWatch> {
    let stopped = false;
    let current: { stop(): void } | undefined;
    // Updates first, then the snapshot: nothing written in between is missed, and the receiver drops
    // what is older than the snapshot by revision. Resolves with the end of the watch.
    const start = async (): Promise<{ ended: Promise<void> }> => {
      const buffered: StoreEvent[] = [];
      let synced = false;
      // An ordered push consumer of new messages, read by callback: per message no iterator step,
      // and no decoding of a revision the receiver says it already has (its own writes). Messages are
      // handled at the end of the event-loop turn, after the acknowledgements that arrived with them
      // have let the receiver learn of its own writes.
      let arrived: JsMsg[] = [];
      const handleArrived = () => {
        const batch = arrived;
        arrived = [];
        if (stopped) return;
        for (const m of batch) {
          const key = m.subject.substring(this.#subjectPrefix.length);
          if (options.isKnown?.(key, m.seq)) continue;
          const event = toEvent(key, m);
          if (synced) onEvent(event);
          else buffered.push(event);
        }
      };
      const consumer = await this.#js.consumers.getPushConsumer(`KV_${this.#bucket}`, {
        filter_subjects: `${this.#subjectPrefix}${prefix}>`,
        deliver_policy: DeliverPolicy.New,
      });
      const messages = await consumer.consume({
        callback: (m) => {
          if (arrived.push(m) === 1) setImmediate(handleArrived);
        },
      });
      current = messages;
      const ended = messages.closed().then((err) => {
        if (err) throw err;
      });
      try {
        onEvent({ type: 'snapshot', entries: await this.list(prefix) });
      } catch (err) {
        void messages.close();
        throw err;
      }
      synced = true;
      for (const event of buffered) onEvent(event);
      return { ended };
    };
    const restartLoop = async (ended: Promise<void>) => {
      for (;;) {
        await ended.catch((err: unknown) => this.#log.warn({ err }, 'KV watch failed'));
        if (stopped) return;
        this.#log.warn('KV watch ended; restarting with a fresh snapshot');
        for (;;) {
          await new Promise((r) => setTimeout(r, 1_000));
          if (stopped) return;
          try {
            ended = (await start()).ended;
            break;
          } catch (err) {
            this.#log.warn({ err }, 'KV watch restart failed; retrying');
          }
        }
      }
    };
    let first: Promise<void>;
    try {
      first = (await start()).ended;
    } catch (err) {
      throw err instanceof StoreError ? err : this.#unavailable('watch', err);
    }
    void restartLoop(first);
    const restart = () => current?.stop();
    this.#restartOnReconnect.add(restart);
    return {
      stop: async () => {
        stopped = true;
        this.#restartOnReconnect.delete(restart);
        current?.stop();
      },
    };
  }

  healthy(): boolean {
    return this.#connected && this.#streamHealthy && !this.#nc.isClosed();
  }

  async close(): Promise<void> {
    clearInterval(this.#healthTimer);
    // Draining lets acknowledgements still on their way arrive; whatever waits after that fails.
    await this.#nc.drain().catch(() => this.#nc.close());
    this.#acks.close();
  }

  /**
   * Runs `write` at the end of this event-loop turn, together with every other write started in it.
   * The client flushes its socket once per microtask turn, so writes begun from separate HTTP requests
   * would each cost a socket write; started together they share one.
   */
  #coalesced<T>(write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pendingWrites.push(() => write().then(resolve, reject));
      if (this.#pendingWrites.length === 1) {
        setImmediate(() => {
          const writes = this.#pendingWrites;
          this.#pendingWrites = [];
          for (const start of writes) start();
        });
      }
    });
  }

  /**
   * The key's last message, read from the stream's leader. A KV get may be answered by any replica
   * (direct get), and a replica still catching up after a restart answers with an older state: a
   * request created a moment ago would not be found by a match. The leader has every acknowledged write.
   */
  /**
   * Whether the stream leader that answers now is in touch with a quorum of its replicas. A read
   * after an unacknowledged write proves the write only if it is: a leader cut off from its peers
   * (a partition) still answers reads, from a log whose latest entries may never be committed and
   * are dropped when it rejoins. On one server there are no peers and the answer is yes.
   */
  async #answeredByQuorum(): Promise<boolean> {
    try {
      const info = await this.#jsm.streams.info(`KV_${this.#bucket}`);
      const replicas = info.cluster?.replicas;
      if (!info.cluster || !replicas)
        return info.cluster === undefined || typeof info.cluster.leader === 'string';
      // `active`: nanoseconds since the leader last heard from the replica.
      const inTouch = replicas.filter((r) => r.current && !r.offline && r.active < 2_000_000_000).length;
      return typeof info.cluster.leader === 'string' && 1 + inTouch > (replicas.length + 1) / 2;
    } catch {
      return false;
    }
  }

  async #rawGet(key: string): Promise<{ operation: string; value: Uint8Array; revision: number } | null> {
    this.#failFastWhenDisconnected('get');
    try {
      const m = await this.#jsm.streams.getMessage(`KV_${this.#bucket}`, {
        last_by_subj: `${this.#subjectPrefix}${key}`,
      });
      if (!m) return null;
      const operation =
        m.header?.get('Nats-Marker-Reason') === 'MaxAge' ? 'PURGE' : m.header?.get(KV_OPERATION) || 'PUT';
      return { operation, value: m.data, revision: m.seq };
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) return null;
      throw this.#unavailable('get', err);
    }
  }

  async #followStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect') {
        this.#connected = false;
        this.#log.warn('NATS connection lost; reconnecting');
      } else if (s.type === 'reconnect') {
        this.#connected = true;
        this.#log.info('NATS connection restored; restarting watches');
        for (const restart of this.#restartOnReconnect) restart();
      }
    }
  }

  /** While the connection is down, answer at once instead of waiting for a request timeout. */
  #failFastWhenDisconnected(op: string): void {
    if (!this.#connected || this.#nc.isClosed())
      throw new StoreError(StoreCode.Unavailable, `NATS KV ${op}: not connected to NATS`);
  }

  #unavailable(op: string, err: unknown): StoreError {
    return new StoreError(StoreCode.Unavailable, `NATS KV ${op} failed: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function openBucket(nc: NatsConnection, options: NatsStoreOptions): Promise<KV> {
  const jsm = await jetstreamManager(nc);
  const kvm = new Kvm(nc);
  const stream = `KV_${options.bucket}`;
  let exists = true;
  try {
    const info = await jsm.streams.info(stream);
    const c = info.config;
    if (c.allow_msg_ttl !== true || !c.subject_delete_marker_ttl) {
      throw new StoreError(
        StoreCode.Unsupported,
        `the KV bucket ${options.bucket} was created without per-message TTL (allow_msg_ttl, subject_delete_marker_ttl); ` +
          'delete it or choose another bucket name, and the allocator creates one with markerTTL',
        { details: { bucket: options.bucket } },
      );
    }
    const wanted = options.replicas ?? 1;
    if (c.num_replicas !== wanted) {
      throw new StoreError(
        StoreCode.Unsupported,
        `the KV bucket ${options.bucket} has ${c.num_replicas} replica${c.num_replicas === 1 ? '' : 's'}, but the allocator was told ${wanted} (--nats-replicas); ` +
          `give the flag the bucket's count, or change the bucket (nats stream edit KV_${options.bucket} --replicas ${wanted})`,
        { details: { bucket: options.bucket, replicas: c.num_replicas } },
      );
    }
    if (c.max_msgs_per_subject !== 1) {
      throw new StoreError(
        StoreCode.Unsupported,
        `the KV bucket ${options.bucket} keeps history ${c.max_msgs_per_subject}; the allocator needs history 1`,
        { details: { bucket: options.bucket } },
      );
    }
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) exists = false;
    else throw err;
  }
  if (exists) return kvm.open(options.bucket);
  return kvm.create(options.bucket, {
    history: 1,
    markerTTL: Math.max(1_000, options.markerTtlMs ?? 5_000),
    replicas: options.replicas ?? 1,
  });
}

/** The event a watched message stands for; its operation read as `KvEntry.operation` reads it. */
function toEvent(key: string, m: JsMsg): StoreEvent {
  const operation =
    m.headers?.get('Nats-Marker-Reason') === 'MaxAge' ? 'PURGE' : m.headers?.get(KV_OPERATION) || 'PUT';
  if (isLivePut(operation, m.data)) return { type: 'put', key, value: m.data, revision: m.seq };
  // Our removals carry a reason; the server's expiry markers carry none.
  if (m.data.length > 0) return { type: 'removed', key, revision: m.seq, reason: m.data };
  return { type: 'expired', key, revision: m.seq };
}

const KV_OPERATION = 'KV-Operation';

/** A live value: a PUT with data (markers the client cannot classify arrive as empty PUTs). */
function isLivePut(operation: string, value: Uint8Array): boolean {
  return operation === 'PUT' && value.length > 0;
}

function createHeaders(expectedLastSubjectSequence: number, ttlSeconds: number): MsgHdrs {
  const h = headers();
  h.set(PubHeaders.ExpectedLastSubjectSequenceHdr, String(expectedLastSubjectSequence));
  h.set(PubHeaders.MessageTTL, `${ttlSeconds}s`);
  return h;
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** JetStream's "system temporarily unavailable" (no meta leader yet). */
function isTemporarilyUnavailable(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === 10008;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.cause instanceof TimeoutError);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function compareVersions(version: string, min: readonly number[]): number {
  const parts = version
    .replace(/^v/, '')
    .split(/[.-]/)
    .map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const d = (Number.isFinite(parts[i]) ? (parts[i] as number) : 0) - (min[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A stream just created on a cluster has no leader for a moment, and writes to it find no
 * responder: wait for one (up to 30 s; past that readiness reports it).
 */
async function waitForStreamLeader(jsm: JetStreamManager, stream: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const info = await jsm.streams.info(stream).catch(() => undefined);
    if (info && (info.cluster === undefined || typeof info.cluster.leader === 'string')) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `a,b,c` → the seed URLs, each trimmed. */
export function seedList(url: string): string[] {
  return url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
