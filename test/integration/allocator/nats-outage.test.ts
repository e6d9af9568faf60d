import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../../harness/nats-server.ts';
import { eventually, harness, uniqueName } from '../../harness/context.ts';
import { AllocatorProcess } from './allocator-process.ts';

describe('an allocator whose nats-server goes away and comes back', () => {
  let dir: string;
  let nats: NatsServer;
  let allocator: AllocatorProcess;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-outage-'));
    const logDir = path.join(harness().workDir, 'logs');
    nats = new NatsServer(path.join(dir, 'nats'), logDir, { name: uniqueName('outage-nats') });
    const { url } = await nats.start();
    await writeFile(
      path.join(dir, 'group.yaml'),
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
    allocator = await AllocatorProcess.start(
      uniqueName('allocator-outage'),
      ['--nats-url', url, '--groups-dir', dir],
      logDir,
    );
  });

  afterAll(async () => {
    await allocator?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers STORE_UNAVAILABLE and not-ready while NATS is down, then serves again with its view rebuilt', async () => {
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
