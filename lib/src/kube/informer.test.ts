import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Informer, InformerEventType, type InformerEvent, type InformerOptions } from './informer.ts';
import type { KubeObject } from './objects.ts';
import { configMapRef } from './resource-ref.ts';
import { FakeKubeApi, apiStatus, transportFailure } from './testing/fake-kube-api.ts';

const NS = 'contact-centre';
const collection = configMapRef(NS);
const configMap = (name: string, resourceVersion?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, ...(resourceVersion ? { resourceVersion } : {}) },
});

/** Lets every promise chain that is not waiting on a (fake) timer run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function start(api: FakeKubeApi, options: Partial<InformerOptions> = {}) {
  const informer = new Informer(api, {
    name: 'configs',
    resource: collection,
    resyncIntervalMs: 0,
    watchdogMs: 600_000,
    backoff: { initialMs: 100, maxMs: 1_000, jitter: 0 },
    ...options,
  });
  const changes: string[] = [];
  const lifecycle: InformerEvent[] = [];
  informer
    .onAdd((o) => changes.push(`add ${o.metadata?.name}`))
    .onUpdate((o) => changes.push(`update ${o.metadata?.name}`))
    .onDelete((o) => changes.push(`delete ${o.metadata?.name}`));
  informer.events.on('event', (e) => lifecycle.push(e));
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  const types = () => lifecycle.map((e) => e.type);
  return { informer, changes, lifecycle, types, stop, running };
}

let runs: { stop: AbortController; running: Promise<void> }[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  runs = [];
});

afterEach(async () => {
  for (const r of runs) r.stop.abort();
  await Promise.all(runs.map((r) => r.running));
  vi.useRealTimers();
});

function started(api: FakeKubeApi, options: Partial<InformerOptions> = {}) {
  const run = start(api, options);
  runs.push(run);
  return run;
}

describe('the informer', () => {
  it('lists, then watches from the list’s resourceVersion and applies what the watch delivers', async () => {
    const api = new FakeKubeApi();
    api.put(configMapRef(NS, 'a'), configMap('a'));
    const { informer, changes } = started(api);
    await informer.waitForSync();
    const watch = await api.openedWatch(1);
    expect(watch.query).toMatchObject({ resourceVersion: api.resourceVersion, allowWatchBookmarks: true });

    watch
      .send('ADDED', configMap('b', '10'))
      .send('MODIFIED', configMap('a', '11'))
      .send('DELETED', configMap('b', '12'));
    await settle();
    expect(changes).toEqual(['add a', 'add b', 'update a', 'delete b']);
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['a']);
  });

  it('relists at once on a 410 Gone ERROR event, and reports the changes it missed', async () => {
    const api = new FakeKubeApi();
    for (const name of ['keep', 'doomed']) api.put(configMapRef(NS, name), configMap(name));
    const { informer, changes, types } = started(api);
    await informer.waitForSync();
    const first = await api.openedWatch(1);
    // The server moves on while this watch is unusable.
    api.remove(configMapRef(NS, 'doomed'));
    api.put(configMapRef(NS, 'new'), configMap('new'));
    first.fail(gone());
    const resumed = await api.openedWatch(2);

    expect(types()).toEqual(['list', 'connect', 'gone', 'list', 'connect']);
    expect(changes).toEqual(['add keep', 'add doomed', 'delete doomed', 'add new']);
    expect(resumed.query.resourceVersion).toBe(api.resourceVersion);
  });

  it('relists at once when the watch request itself is answered 410 Gone', async () => {
    const api = new FakeKubeApi();
    api.put(configMapRef(NS, 'doomed'), configMap('doomed'));
    const { informer, changes, types } = started(api);
    await informer.waitForSync();
    const first = await api.openedWatch(1);
    api.remove(configMapRef(NS, 'doomed'));
    api.failNext('watch', gone());
    // The server ends the stream (its timeout); reconnecting from the old resourceVersion is refused.
    first.send('BOOKMARK', configMap('', '1')).end();
    const resumed = await api.openedWatch(3);

    expect(types()).toEqual(['list', 'connect', 'reconnect', 'gone', 'list', 'connect']);
    expect(changes).toEqual(['add doomed', 'delete doomed']);
    expect(resumed.query.resourceVersion).toBe(api.resourceVersion);
    expect(api.calls.list).toBe(2);
  });

  it('restarts a watch that stayed silent for watchdogMs, from the last resourceVersion, without relisting', async () => {
    const api = new FakeKubeApi();
    const { informer, types } = started(api, { watchdogMs: 1_000 });
    await informer.waitForSync();
    const first = await api.openedWatch(1);

    await vi.advanceTimersByTimeAsync(900);
    first.send('BOOKMARK', configMap('', '42'));
    await vi.advanceTimersByTimeAsync(900);
    expect(first.closed).toBe(false); // the bookmark fed the watchdog

    await vi.advanceTimersByTimeAsync(100);
    expect(first.aborted).toBe(true);
    const second = await api.openedWatch(2);
    expect(second.query.resourceVersion).toBe('42');
    expect(types()).toEqual(['list', 'connect', 'watchdog', 'connect']);
    expect(api.calls.list).toBe(1);
  });

  it('waits longer after each watch that closes at once without delivering, and resets after one that delivered', async () => {
    const api = new FakeKubeApi();
    const { informer } = started(api);
    await informer.waitForSync();
    const t0 = Date.now();
    (await api.openedWatch(1)).end();
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    (await api.openedWatch(2)).end();
    await settle();
    await vi.advanceTimersByTimeAsync(200);
    (await api.openedWatch(3)).end();
    await settle();
    await vi.advanceTimersByTimeAsync(400);
    // This one delivers before it closes: the next reconnect is immediate and the backoff starts over.
    (await api.openedWatch(4)).send('ADDED', configMap('a', '7')).end();
    (await api.openedWatch(5)).end();
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    await api.openedWatch(6);

    const opened = api.watches.map((w) => w.openedAt - t0);
    expect(opened).toEqual([0, 100, 300, 700, 700, 800]);
  });

  it('retries failed lists and watches with growing delays, reset by a successful list', async () => {
    const api = new FakeKubeApi();
    api.failNext('list', transportFailure(), 3);
    const { informer, lifecycle } = started(api);
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    await informer.waitForSync();
    (await api.openedWatch(1)).fail(transportFailure());
    await settle();

    const errors = lifecycle.filter((e) => e.type === InformerEventType.Error).map((e) => e.delayMs);
    expect(errors).toEqual([100, 200, 400, 100]);
    expect(api.calls.list).toBe(4);
  });

  it('caps the retry delay at backoff.maxMs', async () => {
    const api = new FakeKubeApi();
    const outage = api.failAlways('list', transportFailure());
    const { lifecycle } = started(api);
    await vi.advanceTimersByTimeAsync(10_000);
    outage.heal();
    const delays = lifecycle.filter((e) => e.type === InformerEventType.Error).map((e) => e.delayMs);
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1_000]);
    expect(Math.max(...delays.map(Number))).toBe(1_000);
  });

  it('relists every resyncIntervalMs (±10 %) and repairs what the watch missed', async () => {
    const api = new FakeKubeApi();
    const { informer, changes, types } = started(api, { resyncIntervalMs: 10_000 });
    await informer.waitForSync();
    const first = await api.openedWatch(1);
    api.put(configMapRef(NS, 'missed'), configMap('missed')); // never sent on the watch

    await vi.advanceTimersByTimeAsync(8_999);
    expect(api.calls.list).toBe(1);
    await vi.advanceTimersByTimeAsync(2_001);
    await settle();
    expect(first.aborted).toBe(true);
    expect(api.calls.list).toBe(2);
    expect(changes).toEqual(['add missed']);
    expect((await api.openedWatch(2)).query.resourceVersion).toBe(api.resourceVersion);

    await vi.advanceTimersByTimeAsync(11_000);
    await settle();
    expect(api.calls.list).toBe(3);
    expect(types().filter((t) => t === InformerEventType.Resync)).toHaveLength(2);
  });

  it('stops on abort: run resolves and no watch stays open', async () => {
    const api = new FakeKubeApi();
    const { informer, stop, running } = start(api);
    await informer.waitForSync();
    const watch = await api.openedWatch(1);
    stop.abort();
    await running;
    expect(watch.closed).toBe(true);
    expect(api.watches).toHaveLength(1);
  });
});

function gone() {
  return apiStatus(410, 'Expired');
}
