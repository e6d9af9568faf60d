import { describe, expect, it } from 'vitest';
import type { ConfigMapObject, GroupObject } from '#api';
import { createLogger } from '#lib';
import type { EventSource } from './builder.ts';
import {
  groupEvents,
  ownerGroupKey,
  poolSourceEvents,
  setupGroupController,
  type GroupLister,
} from './group-controller.ts';
import { WorkQueue } from './work-queue.ts';

function group(namespace: string, name: string, spec: GroupObject['spec'] = {}, generation = 1): GroupObject {
  return { metadata: { namespace, name, uid: `uid-${namespace}-${name}`, generation }, spec };
}

const lister = (...groups: GroupObject[]): GroupLister => ({
  list: (namespace) => groups.filter((g) => namespace === undefined || g.metadata?.namespace === namespace),
});

const pooled = (namespace: string, name: string, configMap: string) =>
  group(namespace, name, { dnisPoolFrom: { configMapKeyRef: { name: configMap, key: 'pool.csv' } } });

describe('groupEvents (For: the group itself)', () => {
  const a = group('cc', 'a', { groupName: 'claims' });
  const laterA = group('cc', 'later-a', { groupName: 'claims' });
  const events = groupEvents(lister(a, laterA, group('cc', 'b')));

  it('queues a group that is added', () => {
    expect(events.added(a)).toEqual(['cc/a']);
  });

  it('queues a group whose spec changed, or that is being deleted, or that was recreated', () => {
    expect(events.updated({ ...a, metadata: { ...a.metadata, generation: 2 } }, a)).toEqual(['cc/a']);
    const deleting = { ...a, metadata: { ...a.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(events.updated(deleting, a)).toEqual(['cc/a']);
    expect(events.updated({ ...a, metadata: { ...a.metadata, uid: 'uid-new' } }, a)).toEqual(['cc/a']);
  });

  it('queues nothing for a status write, which changes the resourceVersion but not the generation', () => {
    const written = { ...a, metadata: { ...a.metadata, resourceVersion: '9' }, status: { poolSize: 1 } };
    expect(events.updated(written, a)).toEqual([]);
  });

  it('queues the groups using a name the group gave up by a rename', () => {
    const renamed = group('cc', 'a', { groupName: 'renewals' }, 2);
    expect(events.updated(renamed, a)).toEqual(['cc/a', 'cc/a', 'cc/later-a']);
  });

  it('queues the groups using the name of a deleted group, the next of which may publish now', () => {
    expect(events.deleted(a)).toEqual(['cc/a', 'cc/later-a']);
    expect(events.deleted(group('cc', 'b'))).toEqual(['cc/b']);
  });
});

describe('ownerGroupKey (Owns: published ConfigMaps)', () => {
  const owned = (
    ownerReferences: NonNullable<ConfigMapObject['metadata']>['ownerReferences'],
    namespace = 'cc',
  ) => ({ metadata: { namespace, name: 'a-click-to-call-in', ownerReferences } }) as ConfigMapObject;
  const ref = { apiVersion: 'clicktocall.dev/v1alpha1', kind: 'ClickToCallInGroup', name: 'a', uid: 'u' };

  it('is the key of the group that controls the ConfigMap', () => {
    expect(ownerGroupKey(owned([{ ...ref, controller: true }]))).toBe('cc/a');
  });

  it.each([
    ['no owner', []],
    ['an owner that is not its controller', [ref]],
    [
      'a controller of another kind',
      [{ ...ref, kind: 'Deployment', apiVersion: 'apps/v1', controller: true }],
    ],
    [
      'a controller of the same kind in another API group',
      [{ ...ref, apiVersion: 'example.com/v1', controller: true }],
    ],
  ])('is undefined for a ConfigMap with %s', (_, refs) => {
    expect(ownerGroupKey(owned(refs))).toBeUndefined();
  });
});

describe('poolSourceEvents (Watches: the ConfigMaps spec.dnisPoolFrom names)', () => {
  const events = poolSourceEvents(
    lister(
      pooled('cc', 'a', 'pool'),
      pooled('cc', 'b', 'pool'),
      pooled('cc', 'c', 'other'),
      pooled('xx', 'd', 'pool'),
    ),
  );
  const cm: ConfigMapObject = { metadata: { namespace: 'cc', name: 'pool' }, data: { 'pool.csv': '' } };

  it('queues the groups in its namespace that name it, on every event', () => {
    expect(events.added(cm)).toEqual(['cc/a', 'cc/b']);
    expect(events.updated(cm, cm)).toEqual(['cc/a', 'cc/b']);
    expect(events.deleted(cm)).toEqual(['cc/a', 'cc/b']);
  });

  it('queues nothing for a ConfigMap no group names', () => {
    expect(events.added({ metadata: { namespace: 'cc', name: 'unrelated' } })).toEqual([]);
  });
});

/** An event source the test fires by hand, with a cache for `list`. */
class FakeSource<T extends GroupObject | ConfigMapObject> implements EventSource<T> {
  readonly items: T[] = [];
  readonly #added: ((obj: T) => void)[] = [];
  readonly #updated: ((obj: T, old: T) => void)[] = [];
  readonly #deleted: ((obj: T) => void)[] = [];
  onAdd(handler: (obj: T) => void) {
    this.#added.push(handler);
  }
  onUpdate(handler: (obj: T, old: T) => void) {
    this.#updated.push(handler);
  }
  onDelete(handler: (obj: T) => void) {
    this.#deleted.push(handler);
  }
  list(namespace?: string): T[] {
    return this.items.filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }
  add(obj: T) {
    this.items.push(obj);
    for (const h of this.#added) h(obj);
  }
  update(obj: T, old: T) {
    for (const h of this.#updated) h(obj, old);
  }
  delete(obj: T) {
    for (const h of this.#deleted) h(obj);
  }
}

describe('setupGroupController', () => {
  const drain = async (queue: WorkQueue) => {
    const keys: string[] = [];
    while (queue.length > 0) {
      const key = (await queue.get()) as string;
      keys.push(key);
      queue.done(key);
    }
    return keys;
  };

  it('queues the keys of group, owned ConfigMap and pool ConfigMap events', async () => {
    const groups = new FakeSource<GroupObject>();
    const owned = new FakeSource<ConfigMapObject>();
    const sources = new FakeSource<ConfigMapObject>();
    const queue = new WorkQueue();
    const controller = setupGroupController(
      { groups, owned, sources },
      { reconcile: async () => ({ outcome: 'success' }) },
      queue,
      { log: createLogger('group-controller-test', { level: 'silent' }) },
    );
    expect(controller.name).toBe('clicktocallingroup');

    groups.add(group('cc', 'a'));
    groups.add(pooled('cc', 'b', 'pool'));
    expect(await drain(queue)).toEqual(['cc/a', 'cc/b']);

    const controllerRef = {
      apiVersion: 'clicktocall.dev/v1alpha1',
      kind: 'ClickToCallInGroup',
      name: 'a',
      uid: 'u',
      controller: true,
    };
    owned.delete({
      metadata: { namespace: 'cc', name: 'a-click-to-call-in', ownerReferences: [controllerRef] },
    });
    sources.update(
      { metadata: { namespace: 'cc', name: 'pool' } },
      { metadata: { namespace: 'cc', name: 'pool' } },
    );
    expect(await drain(queue)).toEqual(['cc/a', 'cc/b']);
  });
});
