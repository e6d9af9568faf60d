import {
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreCode, StoreError } from '../store.ts';
import { streamOf } from './kv-message.ts';
import type { NatsStoreOptions } from './options.ts';

/**
 * Opens the bucket, or creates it (history 1, per-message TTL, the wanted replicas) when it is
 * missing. Throws `STORE_UNSUPPORTED` for an existing bucket that does not fit.
 */
export async function openBucket(nc: NatsConnection, options: NatsStoreOptions): Promise<KV> {
  const jsm = await jetstreamManager(nc);
  const kvm = new Kvm(nc);
  let exists = true;
  try {
    requireFit((await jsm.streams.info(streamOf(options.bucket))).config, options);
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

/** Refuses a bucket without per-message TTL, with another replica count, or with history. */
function requireFit(c: StreamConfig, options: NatsStoreOptions): void {
  const { bucket } = options;
  if (c.allow_msg_ttl !== true || !c.subject_delete_marker_ttl) {
    throw new StoreError(
      StoreCode.Unsupported,
      `the KV bucket ${bucket} was created without per-message TTL (allow_msg_ttl, subject_delete_marker_ttl); ` +
        'delete it or choose another bucket name, and the allocator creates one with markerTTL',
      { details: { bucket } },
    );
  }
  const wanted = options.replicas ?? 1;
  if (c.num_replicas !== wanted) {
    throw new StoreError(
      StoreCode.Unsupported,
      `the KV bucket ${bucket} has ${c.num_replicas} replica${c.num_replicas === 1 ? '' : 's'}, but the allocator was told ${wanted} (--nats-replicas); ` +
        `give the flag the bucket's count, or change the bucket (nats stream edit ${streamOf(bucket)} --replicas ${wanted})`,
      { details: { bucket, replicas: c.num_replicas } },
    );
  }
  if (c.max_msgs_per_subject !== 1) {
    throw new StoreError(
      StoreCode.Unsupported,
      `the KV bucket ${bucket} keeps history ${c.max_msgs_per_subject}; the allocator needs history 1`,
      { details: { bucket } },
    );
  }
}
