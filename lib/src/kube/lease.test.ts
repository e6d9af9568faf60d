import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaderElector, microTime, type LeaderElectionOptions } from './lease.ts';
import type { KubeObject } from './objects.ts';
import { leaseRef } from './resource-ref.ts';
import { FakeKubeApi, transportFailure } from './testing/fake-kube-api.ts';

describe('microTime', () => {
  it('formats with exactly six fractional digits, as the API server parses MicroTime', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});

interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const REF = leaseRef('ops', 'operator');
// The defaults: a lease is valid 15 s, the leader gives up after 10 s without renewing, attempts every 2 s.
const T0 = Date.UTC(2026, 0, 1);

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function campaign(api: FakeKubeApi, identity: string, options: Partial<LeaderElectionOptions> = {}) {
  const elector = new LeaderElector(api, {
    namespace: 'ops',
    name: 'operator',
    identity,
    now: () => Date.now(),
    ...options,
  });
  const seen: string[] = [];
  const errors: unknown[] = [];
  elector.events.on('error', (err) => errors.push(err));
  elector.events.on('started', () => seen.push('started'));
  elector.events.on('stopped', () => seen.push('stopped'));
  elector.events.on('leader', (holder) => seen.push(`leader ${holder}`));
  const stop = new AbortController();
  let leading: AbortSignal | undefined;
  const outcome = elector.run(stop.signal, (signal) => {
    leading = signal;
  });
  return { elector, seen, errors, stop, outcome, leading: () => leading };
}

const lease = (api: FakeKubeApi) => api.read<Lease>(REF)!.spec;

/** A Lease held by `holder`, last renewed now. */
function heldBy(api: FakeKubeApi, holder: string): void {
  const current = api.read<Lease>(REF);
  api.put<Lease>(REF, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'operator', namespace: 'ops' },
    spec: {
      ...current?.spec,
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      renewTime: microTime(Date.now()),
    },
  });
}

const stops: AbortController[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
});

afterEach(() => {
  for (const stop of stops.splice(0)) stop.abort();
  vi.useRealTimers();
});

function started(api: FakeKubeApi, identity: string, options: Partial<LeaderElectionOptions> = {}) {
  const c = campaign(api, identity, options);
  stops.push(c.stop);
  return c;
}

describe('the leader elector', () => {
  it('acquires a missing Lease at once and leads', async () => {
    const api = new FakeKubeApi();
    const a = started(api, 'a');
    await settle();

    expect(a.elector.isLeader).toBe(true);
    expect(a.seen).toEqual(['leader a', 'started']);
    expect(a.leading()?.aborted).toBe(false);
    expect(lease(api)).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: microTime(T0),
      renewTime: microTime(T0),
      leaseTransitions: 0,
    });
  });

  it('renews every retryPeriodMs, keeping its acquireTime', async () => {
    const api = new FakeKubeApi();
    started(api, 'a');
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(lease(api)).toMatchObject({ holderIdentity: 'a', renewTime: microTime(T0 + 2_000) });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(lease(api)).toMatchObject({
      holderIdentity: 'a',
      acquireTime: microTime(T0),
      renewTime: microTime(T0 + 4_000),
      leaseTransitions: 0,
    });
  });

  it('waits while another holder renews, and takes over once its lease has run out unrenewed', async () => {
    const api = new FakeKubeApi();
    heldBy(api, 'b');
    const a = started(api, 'a');
    await settle();
    expect(a.elector.isLeader).toBe(false);

    await vi.advanceTimersByTimeAsync(10_000);
    heldBy(api, 'b'); // b renews at 10 s; a sees it at its next attempt (12 s) and counts 15 s from then
    await vi.advanceTimersByTimeAsync(16_000);
    expect(a.elector.isLeader).toBe(false);
    expect(lease(api).holderIdentity).toBe('b');

    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.elector.isLeader).toBe(true);
    expect(lease(api)).toMatchObject({
      holderIdentity: 'a',
      leaseTransitions: 1,
      acquireTime: microTime(T0 + 28_000),
    });
    expect(a.seen).toEqual(['leader b', 'leader a', 'started']);
  });

  it('lets exactly one of two candidates lead, and the other take over at once when the leader stops', async () => {
    const api = new FakeKubeApi();
    const a = started(api, 'a');
    const b = started(api, 'b');
    await settle();
    expect([a.elector.isLeader, b.elector.isLeader]).toEqual([true, false]);

    a.stop.abort();
    expect(await a.outcome).toBe('stopped');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(b.elector.isLeader).toBe(true);
    expect(lease(api)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('stays leader through failed renewals shorter than renewDeadlineMs', async () => {
    const api = new FakeKubeApi();
    const a = started(api, 'a');
    await settle();
    api.failNext('get', transportFailure(), 4); // the renewals at 2, 4, 6 and 8 s fail
    await vi.advanceTimersByTimeAsync(20_000);
    expect(a.elector.isLeader).toBe(true);
    expect(lease(api).renewTime).toBe(microTime(T0 + 20_000));
  });

  it('gives up leadership when it could not renew for renewDeadlineMs, without releasing', async () => {
    const api = new FakeKubeApi();
    const a = started(api, 'a');
    await settle();
    api.failAlways('get', transportFailure());

    await vi.advanceTimersByTimeAsync(10_000);
    expect(a.elector.isLeader).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000); // 12 s since the last renewal > 10 s
    expect(await a.outcome).toBe('lost');
    expect(a.elector.isLeader).toBe(false);
    expect(a.leading()?.aborted).toBe(true);
    expect(a.seen.at(-1)).toBe('stopped');
    expect(a.errors.length).toBeGreaterThan(0);
    expect(api.calls.replace).toBe(0);
    expect(lease(api).holderIdentity).toBe('a');
  });

  it('gives up leadership at once when another holder has taken the Lease', async () => {
    const api = new FakeKubeApi();
    const a = started(api, 'a');
    await settle();
    await vi.advanceTimersByTimeAsync(1_000);
    heldBy(api, 'b');

    await vi.advanceTimersByTimeAsync(1_000);
    expect(await a.outcome).toBe('lost');
    expect(a.leading()?.aborted).toBe(true);
    expect(a.seen).toEqual(['leader a', 'started', 'leader b', 'stopped']);
    expect(lease(api).holderIdentity).toBe('b');
  });

  it('releases the Lease on stop, so that a waiting replica need not wait for it to expire', async () => {
    const api = new FakeKubeApi();
    const a = started(api, 'a');
    await settle();
    await vi.advanceTimersByTimeAsync(3_000);
    a.stop.abort();

    expect(await a.outcome).toBe('stopped');
    expect(a.leading()?.aborted).toBe(true);
    expect(a.elector.isLeader).toBe(false);
    expect(lease(api)).toMatchObject({
      holderIdentity: null,
      leaseDurationSeconds: 1,
      renewTime: microTime(T0 + 3_000),
    });
  });

  it('stops campaigning on abort before it ever led, without touching the Lease', async () => {
    const api = new FakeKubeApi();
    heldBy(api, 'b');
    const a = started(api, 'a');
    await settle();
    a.stop.abort();
    expect(await a.outcome).toBe('stopped');
    expect(a.leading()).toBeUndefined();
    expect(lease(api).holderIdentity).toBe('b');
  });
});
