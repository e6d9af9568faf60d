import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, uniqueName } from '../../harness/context.ts';

describe('the harness nats-server', () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connectNats();
  });
  afterAll(async () => {
    await nc.close();
  });

  it('expires a key created with a per-message TTL, after which it can be created again', async () => {
    const bucket = uniqueName('ttl');
    // The expiry marker outlives the wait below by seconds: with a marker as short as the wait's
    // margin, it could expire between kv.create's two steps and fail the create on a slow machine.
    const kv = await new Kvm(nc).create(bucket, { history: 1, markerTTL: 10_000 });
    const status = await kv.status();
    expect(status.streamInfo.config.allow_msg_ttl).toBe(true);

    await kv.create('lease.1', 'first', '2s');
    await expect(kv.create('lease.1', 'second')).rejects.toThrow();
    const live = await kv.get('lease.1');
    expect(live?.string()).toBe('first');

    await new Promise((r) => setTimeout(r, 3_000));
    const expired = await kv.get('lease.1');
    expect(expired === null || expired.operation !== 'PUT').toBe(true);
    await expect(kv.create('lease.1', 'again', '2s')).resolves.toBeGreaterThan(0);

    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(`KV_${bucket}`);
  });
});
