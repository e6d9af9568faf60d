import { describe, expect, it } from 'vitest';
import { LiveView } from './domain/index.ts';
import { GroupRegistry } from './groups/index.ts';
import { createMetrics } from './metrics.ts';
import { setup } from './testing/app-harness.ts';

const sample = (text: string, name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];

describe('the health gauges', () => {
  it('run their checks at every scrape', async () => {
    const health = { store: true, ready: false };
    const metrics = createMetrics(
      new GroupRegistry(),
      new LiveView({ now: () => 0, historyMs: 0, historyMaxEntries: 0 }),
      {
        storeHealthy: () => health.store,
        ready: () => health.ready,
      },
    );
    const scrape = async () => {
      const text = await metrics.registry.metrics();
      return [sample(text, 'c2c_allocator_store_up'), sample(text, 'c2c_allocator_ready')];
    };
    expect(await scrape()).toEqual(['1', '0']);
    Object.assign(health, { store: false, ready: false });
    expect(await scrape()).toEqual(['0', '0']);
    Object.assign(health, { store: true, ready: true });
    expect(await scrape()).toEqual(['1', '1']);
  });

  it('follow the store and /readyz of the assembled allocator', async () => {
    const { metricsApp, store } = await setup();
    const scrape = async () => {
      const text = (await metricsApp.inject({ method: 'GET', url: '/metrics' })).body;
      return [sample(text, 'c2c_allocator_store_up'), sample(text, 'c2c_allocator_ready')];
    };
    expect((await metricsApp.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect(await scrape()).toEqual(['1', '1']);
    await store.close();
    const readyz = await metricsApp.inject({ method: 'GET', url: '/readyz' });
    expect([readyz.statusCode, readyz.json().reason]).toEqual([503, 'coordination store unavailable']);
    expect(await scrape()).toEqual(['0', '0']);
  });
});
