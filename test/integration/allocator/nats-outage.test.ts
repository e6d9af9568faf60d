import { describe, expect, it } from 'vitest';
import { eventually } from '../../harness/context.ts';
import { useAllocatorWithOwnNats } from './own-nats.ts';

describe('an allocator whose nats-server goes away and comes back', () => {
  const own = useAllocatorWithOwnNats(
    'outage',
    `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: outage }
spec:
  dnisPool: [{ number: '+18005550500' }, { number: '+18005550501' }]
  uniqueDnis: true
  accessCode: { generate: false }
  expirySeconds: 120
`,
  );

  it('answers STORE_UNAVAILABLE and not-ready while NATS is down, then serves again with its view rebuilt', async () => {
    const { nats, allocator } = own;
    const before = await allocator.post('/v1/groups/outage/requests', {});
    expect(before.status).toBe(201);

    await nats.stop();
    await eventually(
      'readiness to fail',
      async () => (await fetch(`${allocator.url}/readyz`)).status === 503,
    );
    const during = await allocator.post('/v1/groups/outage/requests', {});
    expect([during.status, during.body.error.code]).toEqual([503, 'STORE_UNAVAILABLE']);

    await nats.start();
    await eventually(
      'readiness to return',
      async () => (await fetch(`${allocator.url}/readyz`)).status === 200,
      60_000,
    );
    const after = await eventually('a create to succeed', async () => {
      const r = await allocator.post('/v1/groups/outage/requests', {});
      return r.status === 201 ? r : undefined;
    });
    // The lease from before the outage survived in JetStream: the other number was handed out.
    expect(after.body.number).not.toBe(before.body.number);
    expect((await allocator.post('/v1/groups/outage/requests', {})).status).toBe(409);
    const live = await allocator.get('/v1/groups/outage/requests');
    expect(live.requests.map((r: { id: string }) => r.id).sort()).toEqual(
      [before.body.id, after.body.id].sort(),
    );
  });
});
