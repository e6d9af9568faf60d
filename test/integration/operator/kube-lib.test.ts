import { afterAll, describe, expect, it } from 'vitest';
import {
  Informer,
  InformerEventType,
  KubeClient,
  LeaderElector,
  configMapRef,
  leaseRef,
  loadKubeConfig,
  type InformerEvent,
  type KubeObject,
} from '#lib/kube';
import { eventually, harness, useNamespace } from '../../harness/context.ts';

const ns = useNamespace('kube-lib');
const stops: AbortController[] = [];
afterAll(() => {
  for (const s of stops) s.abort();
});

function client(): KubeClient {
  return new KubeClient(loadKubeConfig(harness().kubeconfigPath));
}

const configMaps = () => configMapRef(ns.name);

describe('the informer', () => {
  it('lists, then follows adds, updates and deletes of the selected objects only', async () => {
    const kube = client();
    await kube.create(configMaps(), {
      metadata: { name: 'before', labels: { pick: 'yes' } },
      data: { v: '1' },
    });
    await kube.create(configMaps(), {
      metadata: { name: 'other', labels: { pick: 'no' } },
      data: { v: '1' },
    });
    const informer = new Informer(kube, { name: 'test', resource: configMaps(), labelSelector: 'pick=yes' });
    const seen: string[] = [];
    informer
      .onAdd((o) => seen.push(`add ${o.metadata?.name}`))
      .onUpdate((o) => seen.push(`update ${o.metadata?.name}`))
      .onDelete((o) => seen.push(`delete ${o.metadata?.name}`));
    const stop = new AbortController();
    stops.push(stop);
    void informer.run(stop.signal);
    await informer.waitForSync();
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['before']);

    await kube.create(configMaps(), {
      metadata: { name: 'after', labels: { pick: 'yes' } },
      data: { v: '1' },
    });
    await kube.patch({ ...configMaps(), name: 'before' }, 'merge', { data: { v: '2' } });
    await kube.delete({ ...configMaps(), name: 'after' });
    await eventually('the delete to arrive', async () => seen.includes('delete after'));
    expect(seen).toEqual(['add before', 'add after', 'update before', 'delete after']);
    expect(informer.get(`${ns.name}/before`)?.data).toEqual({ v: '2' });
    stop.abort();
  });

  it('relists after a watch restart and reports deletes it missed', async () => {
    const kube = client();
    await kube.create(configMaps(), { metadata: { name: 'gone-soon', labels: { relist: 'yes' } } });
    const events: InformerEvent[] = [];
    const informer = new Informer<KubeObject>(kube, {
      name: 'relist',
      resource: configMaps(),
      labelSelector: 'relist=yes',
      resyncIntervalMs: 1_500,
      watchdogMs: 1_000,
    });
    const deleted: string[] = [];
    informer.onDelete((o) => deleted.push(o.metadata?.name ?? ''));
    informer.events.on('event', (e) => events.push(e));
    const stop = new AbortController();
    stops.push(stop);
    void informer.run(stop.signal);
    await informer.waitForSync();
    await kube.delete({ ...configMaps(), name: 'gone-soon' });
    await eventually('the delete to arrive', async () => deleted.includes('gone-soon'));
    // The watch is idle from here: the watchdog and the periodic relist both fire. A resync is
    // announced before its list completes, so wait for the second list too.
    const lists = () => events.filter((e) => e.type === InformerEventType.List).length;
    await eventually(
      'a watchdog restart, a resync and a second list',
      async () =>
        events.some((e) => e.type === InformerEventType.Watchdog) &&
        events.some((e) => e.type === InformerEventType.Resync) &&
        lists() >= 2,
    );
    expect(lists()).toBeGreaterThanOrEqual(2);
    stop.abort();
  });
});

describe('the leader elector', () => {
  it('lets exactly one of two candidates lead and hands over at once when the leader stops', async () => {
    const kube = client();
    const options = {
      namespace: ns.name,
      name: 'election',
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 300,
    };
    const a = new LeaderElector(kube, { ...options, identity: 'a' });
    const b = new LeaderElector(kube, { ...options, identity: 'b' });
    const stopA = new AbortController();
    const stopB = new AbortController();
    stops.push(stopA, stopB);
    const leading: string[] = [];
    const runA = a.run(stopA.signal, () => void leading.push('a'));
    await eventually('a to lead', async () => a.isLeader);
    const runB = b.run(stopB.signal, () => void leading.push('b'));
    const lease = leaseRef(ns.name, 'election');
    const holder = async () =>
      ((await kube.get(lease)).spec as { holderIdentity?: string }).holderIdentity ?? '';
    expect(await holder()).toBe('a');
    expect(b.isLeader).toBe(false);
    stopA.abort();
    expect(await runA).toBe('stopped');
    // Released on a clean stop: the holder is empty until b takes it.
    expect(['', 'b']).toContain(await holder());
    await eventually('b to lead', async () => b.isLeader);
    expect(leading).toEqual(['a', 'b']);
    stopB.abort();
    await runB;
  });
});
