import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll } from 'vitest';
import { createLogger } from '#lib';
import { MemoryStore, NatsStore } from '#allocator/store/index';
import { describeStoreContract } from '../../contract/store.contract.ts';
import { connectNats, harness, uniqueName } from '../../harness/context.ts';

const log = createLogger('store-contract', { level: 'warn' });
const bucket = uniqueName('contract');

describeStoreContract('memory', async () => new MemoryStore({ sweepIntervalMs: 100 }));
describeStoreContract('NATS JetStream KV', () =>
  NatsStore.open({ url: harness().natsUrl, bucket, markerTtlMs: 1000, log }),
);

afterAll(async () => {
  const nc = await connectNats();
  await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
  await nc.close();
});
