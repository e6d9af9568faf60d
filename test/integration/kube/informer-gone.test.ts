import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Informer,
  InformerEventType,
  KubeClient,
  configMapRef,
  loadKubeConfig,
  namespaceRef,
  type InformerEvent,
  type KubeObject,
} from '#lib/kube';
import { ControlPlane } from '../../harness/control-plane.ts';
import { eventually, harness } from '../../harness/context.ts';
import { TcpProxy } from '../../harness/tcp-proxy.ts';

// A control plane of this file's own: without the watch cache, watches are served by etcd, so a watch
// from a resourceVersion older than etcd's last compaction is answered with 410 Gone by the real server.
// (The watch cache would serve it from memory and restarting the shared API server would disturb others.)
const ns = 'informer-gone';
const selector = 'clicktocall.dev/test=informer-gone';
const labels = { 'clicktocall.dev/test': 'informer-gone' };
const configMaps = (name?: string) => configMapRef(ns, name);

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const configMap = (name: string, data: Record<string, string>, withLabels = true): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...(withLabels ? { labels } : {}) },
  data,
});

let dir: string;
let controlPlane: ControlPlane;
let proxy: TcpProxy;
/** Talks to the API server directly; the informer's client goes through the proxy. */
let kube: KubeClient;
let informerClient: KubeClient;
const stop = new AbortController();
let running: Promise<void> | undefined;

async function etcd<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Compacts etcd's history up to its current revision; returns that revision. */
async function compactEtcd(etcdUrl: string): Promise<number> {
  const range = await etcd<{ header: { revision: string } }>(`${etcdUrl}/v3/kv/range`, { key: 'AA==' });
  const revision = range.header.revision;
  await etcd(`${etcdUrl}/v3/kv/compaction`, { revision, physical: true });
  return Number(revision);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'c2c-informer-gone-'));
  controlPlane = new ControlPlane(
    path.join(dir, 'control-plane'),
    path.join(harness().workDir, 'logs', 'informer-gone'),
    { controllerManager: false, apiServerArgs: ['--watch-cache=false'] },
  );
  const info = await controlPlane.start();
  kube = new KubeClient(loadKubeConfig(info.kubeconfigPath));
  await kube.create(namespaceRef(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // The informer reaches the API server through a proxy that can freeze its watch.
  proxy = new TcpProxy(Number(new URL(info.server).port));
  await proxy.start();
  const kubeconfig = (await readFile(info.kubeconfigPath, 'utf8')).replace(
    info.server,
    `https://127.0.0.1:${proxy.port}`,
  );
  await writeFile(path.join(dir, 'kubeconfig-proxied'), kubeconfig, { mode: 0o600 });
  informerClient = new KubeClient(loadKubeConfig(path.join(dir, 'kubeconfig-proxied')));
});

afterAll(async () => {
  stop.abort();
  await running;
  informerClient?.close();
  kube?.close();
  await proxy?.stop();
  await controlPlane?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the informer against a watch answered with 410 Gone', () => {
  it('relists, reports it, and ends with the server state and the events it missed', async () => {
    for (const name of ['keep', 'doomed', 'changed']) {
      await kube.create(configMaps(), configMap(name, { v: '1' }));
    }
    await kube.create(configMaps(), configMap('unselected', { v: '1' }, false));

    const informer = new Informer<ConfigMap>(informerClient, {
      name: 'gone-test',
      resource: configMaps(),
      labelSelector: selector,
      // Only the 410 may bring the informer back: no periodic relist, no watchdog restart.
      resyncIntervalMs: 0,
      watchdogMs: 600_000,
      backoff: { initialMs: 100, maxMs: 1_000 },
    });
    const lifecycle: InformerEvent[] = [];
    const changes: string[] = [];
    informer.events.on('event', (e) => lifecycle.push(e));
    informer
      .onAdd((o) => changes.push(`add ${o.metadata?.name}`))
      .onUpdate((o) => changes.push(`update ${o.metadata?.name} v=${o.data?.v}`))
      .onDelete((o) => changes.push(`delete ${o.metadata?.name}`));
    running = informer.run(stop.signal);
    await informer.waitForSync();
    expect(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['changed', 'doomed', 'keep']);

    // The watch works: a new object arrives through it.
    await eventually('the watch to connect', async () =>
      lifecycle.some((e) => e.type === InformerEventType.Connect),
    );
    await kube.create(configMaps(), configMap('live', { v: '1' }));
    await eventually('the watched add', async () => informer.get(`${ns}/live`));

    // Break the watch: its connection stays open but passes nothing on.
    expect(proxy.freeze()).toBeGreaterThanOrEqual(1);
    changes.length = 0;
    lifecycle.length = 0;
    await kube.create(configMaps(), configMap('added-1', { v: '1' }));
    await kube.create(configMaps(), configMap('added-2', { v: '1' }));
    await kube.create(configMaps(), configMap('unselected-2', { v: '1' }, false));
    await kube.delete(configMaps('doomed'));
    await kube.patch(configMaps('changed'), 'merge', { data: { v: '2' } });
    expect(informer.get(`${ns}/doomed`)).toBeDefined();
    expect(informer.get(`${ns}/added-1`)).toBeUndefined();
    expect(changes).toEqual([]);

    // Drop the history the informer would need to resume its watch.
    const compactedAt = await compactEtcd(controlPlane.info.etcdUrl);
    const informerVersion = Number(informer.get(`${ns}/live`)?.metadata?.resourceVersion);
    expect(informerVersion).toBeLessThan(compactedAt);

    // The restart closes the frozen connection; the informer re-watches from its old resourceVersion.
    await controlPlane.restartApiServer();

    const expected = await eventually(
      'the informer cache to match the server',
      async () => {
        const server = await kube.list<ConfigMap>(configMaps(), { labelSelector: selector });
        const want = server.items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
        const have = informer
          .list()
          .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
          .sort();
        return JSON.stringify(have) === JSON.stringify(want) ? want : undefined;
      },
      60_000,
      200,
    );
    expect(expected.map((s) => s.split('@')[0])).toEqual(['added-1', 'added-2', 'changed', 'keep', 'live']);
    expect(informer.get(`${ns}/changed`)?.data).toEqual({ v: '2' });

    // The real server said 410 Gone, and the informer answered with a full list.
    const types = lifecycle.map((e) => e.type);
    const gone = types.indexOf(InformerEventType.Gone);
    expect(gone, `lifecycle events: ${types.join(', ')}`).toBeGreaterThanOrEqual(0);
    const relist = lifecycle.findIndex((e, i) => i > gone && e.type === InformerEventType.List);
    expect(relist, `lifecycle events: ${types.join(', ')}`).toBeGreaterThan(gone);
    expect(lifecycle[relist]?.count).toBe(5);
    expect(types).not.toContain(InformerEventType.Resync);
    expect(types).not.toContain(InformerEventType.Watchdog);

    // Exactly the changes made while the watch was broken, each reported once.
    expect([...changes].sort()).toEqual([
      'add added-1',
      'add added-2',
      'delete doomed',
      'update changed v=2',
    ]);
  });
});
