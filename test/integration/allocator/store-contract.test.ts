import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll } from 'vitest';
import { createLogger } from '#lib';
import { MemoryStore, NatsStore } from '#allocator/store/index';
import { recordsStreamOf } from '#allocator/store/nats/records';
import { describeStoreContract } from '../../contract/store.contract.ts';
import { connectNats, harness, uniqueName } from '../../harness/context.ts';

const log = createLogger('store-contract', { level: 'warn' });
const bucket = uniqueName('contract');
/** The suite's bucket, and one more for each store opened with a retention of its own. */
const buckets = [bucket];

describeStoreContract(
  'memory',
  async (records) => new MemoryStore({ sweepIntervalMs: 100, ...(records ? { records } : {}) }),
);
describeStoreContract('NATS JetStream KV', (records) => {
  if (!records) return NatsStore.open({ url: harness().natsUrl, bucket, markerTtlMs: 1000, log });
  const own = uniqueName('contract-records');
  buckets.push(own);
  return NatsStore.open({ url: harness().natsUrl, bucket: own, markerTtlMs: 1000, records, log });
});

afterAll(async () => {
  const nc = await connectNats();
  const jsm = await jetstreamManager(nc);
  for (const b of buckets) {
    await jsm.streams.delete(recordsStreamOf(b)).catch(() => undefined);
    await jsm.streams.delete(`KV_${b}`).catch(() => undefined);
  }
  await nc.close();
});
