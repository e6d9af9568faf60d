import { describe, expect, it } from 'vitest';
import { createLogger } from '#lib';
import type { KubeObject } from '#lib/kube';
import { ControllerBuilder, onEveryEvent, type EventSource } from './builder.ts';
import { WorkQueue } from './work-queue.ts';

const log = createLogger('builder-test', { level: 'silent' });

/** A source whose cache holds `items` and whose handlers the test fires. */
function source(items: KubeObject[] = []) {
  const added: ((obj: KubeObject) => void)[] = [];
  const s: EventSource<KubeObject> & { list(): KubeObject[]; fire(obj: KubeObject): void } = {
    onAdd: (h) => added.push(h),
    onUpdate: () => {},
    onDelete: () => {},
    list: () => items,
    fire: (obj) => added.forEach((h) => h(obj)),
  };
  return s;
}

describe('ControllerBuilder', () => {
  it('refuses to complete a controller that does not say what it reconciles', () => {
    const builder = new ControllerBuilder('nothing', new WorkQueue()).watches(
      source(),
      onEveryEvent(() => []),
    );
    expect(() => builder.complete({ reconcile: async () => ({ outcome: 'success' }) }, { log })).toThrow(
      /for\(\)/,
    );
  });

  it('connects its sources only once completed', () => {
    const watched = source();
    const queue = new WorkQueue();
    const builder = new ControllerBuilder('c', queue).for(
      watched,
      onEveryEvent((o) => [String(o.metadata?.name)]),
    );
    watched.fire({ metadata: { name: 'early' } });
    builder.complete({ reconcile: async () => ({ outcome: 'success' }) }, { log });
    watched.fire({ metadata: { name: 'late' } });
    expect(queue.length).toBe(1);
  });

  it('reconciles at start every object in the cache of the kind it is for', async () => {
    const reconciled: string[] = [];
    const objects = [
      { metadata: { namespace: 'cc', name: 'a' } },
      { metadata: { namespace: 'cc', name: 'b' } },
    ];
    const abort = new AbortController();
    const controller = new ControllerBuilder('c', new WorkQueue())
      .for(
        source(objects),
        onEveryEvent(() => []),
      )
      .owns(source(), () => undefined)
      .complete(
        {
          reconcile: async (key) => {
            reconciled.push(key);
            if (reconciled.length === objects.length) abort.abort();
            return { outcome: 'success' };
          },
        },
        { log, resyncIntervalMs: 0 },
      );
    await controller.start(abort.signal);
    expect(reconciled).toEqual(['cc/a', 'cc/b']);
  });
});
