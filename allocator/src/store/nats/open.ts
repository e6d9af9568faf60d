import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { errorMessage } from '#lib';
import { recordsRetention, StoreCode, StoreError } from '../store.ts';
import { openBucket } from './bucket.ts';
import { connectToNats, requirePerMessageTtl } from './connection.ts';
import { isTemporarilyUnavailable, isTimedOut } from './errors.ts';
import { streamOf } from './kv-message.ts';
import { DEFAULT_TIMEOUT_MS, type NatsStoreOptions } from './options.ts';
import { ensureRecordsStream, recordsStreamOf } from './records.ts';
import { waitForStreamLeader } from './stream-health.ts';

const RECORDS_REPLICAS = 1;

/** Tries to open the bucket while JetStream answers with time-outs (about 60 s in all). */
const OPEN_ATTEMPTS = 10;

/**
 * Connects, checks that the server and the bucket support per-message TTL (creating the bucket when
 * it is missing), creates or updates the bucket's records stream, waits for both streams to have a
 * leader, and hands the connection to
 * `build`. Closes the connection when any of it fails. Throws `STORE_UNSUPPORTED` or
 * `STORE_UNAVAILABLE`.
 */
export async function openOnNats<T>(
  options: NatsStoreOptions,
  build: (nc: NatsConnection, jsm: JetStreamManager) => T,
): Promise<T> {
  const retention = recordsRetention(options.records);
  const nc = await connectToNats(options);
  try {
    requirePerMessageTtl(nc);
    // A cluster still electing its JetStream leaders answers with time-outs for a while: retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await openBucket(nc, options);
        const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
        await waitForStreamLeader(jsm, streamOf(options.bucket));
        // One replica on a cluster too: the records are history, not what uniqueness rests on, and a
        // replicated sourcing stream doubled the raft work a partition or restart has to recover.
        await ensureRecordsStream(jsm, options.bucket, retention, RECORDS_REPLICAS, options.log);
        await waitForStreamLeader(jsm, recordsStreamOf(options.bucket));
        return build(nc, jsm);
      } catch (err) {
        const transient = isTimedOut(err) || isTemporarilyUnavailable(err);
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
