import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGroupConfig, GroupConfigMap, type ResolvedGroup } from '#api';
import { DirSource, GroupRegistry, loadGroupsDir } from '#allocator/groups/index';
import { NatsStore, StoreCode } from '#allocator/store/index';
import { createLogger } from '#lib';
import {
  connectNats,
  eventually,
  harness,
  kubeConfig,
  uniqueName,
  useNamespace,
} from '../../harness/context.ts';
import { AllocatorProcess } from './allocator-process.ts';

const log = createLogger('group-sources-test', { level: 'silent' });

function group(name: string, numbers: string[]): ResolvedGroup {
  return {
    groupName: name,
    accessCode: { generate: true, length: 6 },
    expirySeconds: 30,
    uniqueDnis: false,
    coolDownSeconds: 0,
    selection: { strategy: 'random', stickySeconds: 0 },
    dnisPool: numbers.map((number) => ({ number })),
  };
}

describe('groups from a folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-groups-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads group YAML, a pool CSV from a ConfigMap in the same folder, and mounted group ConfigMaps', async () => {
    await writeFile(
      path.join(dir, 'groups.yaml'),
      `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: inline }
spec:
  dnisPool: [{ number: '+18005550100' }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: big-pool }
data:
  pool.csv: |
    number,description
    +18005550200,a
    +18005550201,
---
apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: from-csv }
spec:
  dnisPoolFrom: { configMapKeyRef: { name: big-pool, key: pool.csv } }
---
apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: broken }
spec:
  dnisPool: [{ number: 'not-a-number' }]
`,
    );
    const mounted = path.join(dir, 'mounted');
    await mkdir(mounted);
    for (const [k, v] of Object.entries(encodeGroupConfig(group('mounted group', ['+18005550300']))))
      await writeFile(path.join(mounted, k), v);

    const { groups, problems } = await loadGroupsDir(dir);
    const byName = new Map([...groups.values()].map((g) => [g.groupName, g]));
    expect([...byName.keys()].sort()).toEqual(['from-csv', 'inline', 'mounted group']);
    expect(byName.get('from-csv')?.dnisPool.map((e) => e.number)).toEqual(['+18005550200', '+18005550201']);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('broken');
  });

  it('reloads when a file changes', async () => {
    const registry = new GroupRegistry();
    const source = new DirSource(dir, registry, log, 500);
    await source.start();
    try {
      expect(registry.get('inline')).toBeDefined();
      await rm(path.join(dir, 'groups.yaml'));
      await eventually('the removed groups to go', async () => registry.get('inline') === undefined);
      expect(registry.get('mounted group')).toBeDefined();
    } finally {
      source.stop();
    }
  });
});

describe('the NATS store at start-up', () => {
  it('refuses a bucket created without per-message TTL, with a message that says so', async () => {
    const bucket = uniqueName('no-ttl');
    const nc = await connectNats();
    try {
      await new Kvm(nc).create(bucket, { history: 1 });
      const err = await NatsStore.open({ url: harness().natsUrl, bucket, log }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: StoreCode.Unsupported });
      expect((err as Error).message).toMatch(/per-message TTL/);
    } finally {
      await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
      await nc.close();
    }
  });

  it('creates a missing bucket with history 1 and per-message TTL', async () => {
    const bucket = uniqueName('fresh');
    const store = await NatsStore.open({ url: harness().natsUrl, bucket, log });
    await store.close();
    const nc = await connectNats();
    try {
      const info = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`);
      expect(info.config.allow_msg_ttl).toBe(true);
      expect(info.config.max_msgs_per_subject).toBe(1);
      await (await jetstreamManager(nc)).streams.delete(`C2C_RECORDS_${bucket}`);
      await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`);
    } finally {
      await nc.close();
    }
  });
});

describe('groups from the operator ConfigMaps', () => {
  const ns = useNamespace('alloc-cm');
  let allocator: AllocatorProcess | undefined;
  const core = () => kubeConfig().makeApiClient(k8s.CoreV1Api);
  const configMap = (name: string, g: ResolvedGroup) => ({
    metadata: { name, labels: { [GroupConfigMap.roleLabel]: GroupConfigMap.roleValue } },
    data: encodeGroupConfig(g),
  });

  afterAll(async () => {
    await allocator?.stop();
  });

  it('serves groups as their ConfigMaps are added, changed and deleted, in the watched namespace only', async () => {
    await core().createNamespacedConfigMap({
      namespace: ns.name,
      body: configMap('g1-click-to-call-in', group('group one', ['+18005550400'])),
    });
    await core().createNamespacedConfigMap({
      namespace: ns.name,
      body: {
        metadata: { name: 'unrelated' },
        data: encodeGroupConfig(group('not a group config', ['+18005550401'])),
      },
    });
    allocator = await AllocatorProcess.start(
      uniqueName('allocator-cm'),
      ['--kubernetes', '--kubeconfig', harness().kubeconfigPath, '--namespace', ns.name],
      path.join(harness().workDir, 'logs'),
    );
    const names = async () =>
      (await allocator!.get('/v1/groups')).groups as Array<{ groupName: string; poolSize: number }>;
    expect((await names()).map((g) => g.groupName)).toEqual(['group one']);

    await core().replaceNamespacedConfigMap({
      name: 'g1-click-to-call-in',
      namespace: ns.name,
      body: configMap('g1-click-to-call-in', group('group one', ['+18005550400', '+18005550402'])),
    });
    await eventually('the new pool', async () => (await names())[0]?.poolSize === 2);

    const r = await allocator.post(`/v1/groups/${encodeURIComponent('group one')}/requests`, {});
    expect(r.status).toBe(201);
    await core().deleteNamespacedConfigMap({ name: 'g1-click-to-call-in', namespace: ns.name });
    await eventually('the group to go', async () => (await names()).length === 0);
    const refused = await allocator.post(`/v1/groups/${encodeURIComponent('group one')}/requests`, {});
    expect(refused.status).toBe(404);
    const matched = await allocator.post('/v1/match', {
      dialledNumber: r.body.number,
      accessCode: r.body.accessCode,
    });
    expect(matched.status).toBe(200);
  });
});
