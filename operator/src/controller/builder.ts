/**
 * A controller's wiring, in the manner of controller-runtime's builder: `for` the kind it reconciles,
 * `owns` the kind it creates (a change queues the owner), `watches` any other source with a mapping of
 * its own. Each declaration pairs an event source with a pure mapping from an event to the keys it
 * queues, so the mappings are unit-tested without a cluster.
 *
 * ```ts
 * new ControllerBuilder('clicktocallingroup', queue)
 *   .for(groups, groupEvents(groups))
 *   .owns(owned, ownerGroupKey)
 *   .watches(sources, poolSourceEvents(groups))
 *   .complete(reconciler, { log });
 * ```
 */
import type { Logger } from '#lib';
import { objectKey, type KubeObject } from '#lib/kube';
import { Controller, type ControllerHooks, type Reconciler } from './controller.ts';
import type { WorkQueue } from './work-queue.ts';

/** Where events come from; an `Informer` is one. */
export interface EventSource<T> {
  onAdd(handler: (obj: T) => void): unknown;
  onUpdate(handler: (obj: T, old: T) => void): unknown;
  onDelete(handler: (obj: T) => void): unknown;
}

/** The keys each kind of event queues. */
export interface EventMapping<T> {
  added(obj: T): string[];
  updated(obj: T, old: T): string[];
  deleted(obj: T): string[];
}

/** The same mapping for every event; an update maps the object as it is now. */
export function onEveryEvent<T>(keys: (obj: T) => string[]): EventMapping<T> {
  return { added: keys, updated: (obj) => keys(obj), deleted: keys };
}

export interface ControllerSettings {
  log: Logger;
  /** Workers; one key is never reconciled by two at once (default 1). */
  concurrency?: number;
  /** Every object of the `for` kind is queued this often (default 10 min; 0: off). */
  resyncIntervalMs?: number;
  hooks?: ControllerHooks;
}

export class ControllerBuilder {
  readonly #name: string;
  readonly #queue: WorkQueue;
  readonly #connections: (() => void)[] = [];
  #keys: (() => string[]) | undefined;

  constructor(name: string, queue: WorkQueue) {
    this.#name = name;
    this.#queue = queue;
  }

  /** The kind reconciled: its events map through `mapping`, and its cache gives the keys to resync. */
  for<T extends KubeObject>(source: EventSource<T> & { list(): T[] }, mapping: EventMapping<T>): this {
    this.#keys = () => source.list().map(objectKey);
    return this.watches(source, mapping);
  }

  /** A kind the reconciler creates: any change to one queues the key of its owner, if it has one. */
  owns<T>(source: EventSource<T>, ownerKey: (obj: T) => string | undefined): this {
    return this.watches(
      source,
      onEveryEvent((obj) => {
        const key = ownerKey(obj);
        return key === undefined ? [] : [key];
      }),
    );
  }

  /** Any other source, with its own mapping. */
  watches<T>(source: EventSource<T>, mapping: EventMapping<T>): this {
    this.#connections.push(() => {
      const queue = (keys: string[]) => {
        for (const key of keys) this.#queue.add(key);
      };
      source.onAdd((obj) => queue(mapping.added(obj)));
      source.onUpdate((obj, old) => queue(mapping.updated(obj, old)));
      source.onDelete((obj) => queue(mapping.deleted(obj)));
    });
    return this;
  }

  /** Connects the sources to the queue and returns the controller, to be started as a runnable. */
  complete(reconciler: Reconciler, settings: ControllerSettings): Controller {
    const keys = this.#keys;
    if (!keys) throw new Error(`controller ${this.#name}: for() names the kind it reconciles`);
    for (const connect of this.#connections) connect();
    return new Controller({ name: this.#name, queue: this.#queue, reconciler, keys, ...settings });
  }
}
