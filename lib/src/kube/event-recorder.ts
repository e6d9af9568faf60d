import type { KubeClient } from './client.ts';
import { isNotFound } from './errors.ts';
import type { KubeObject } from './objects.ts';
import { eventRef } from './resource-ref.ts';
import { microTime } from './lease.ts';

export type EventType = 'Normal' | 'Warning';

interface CoreEvent extends KubeObject {
  count?: number;
  lastTimestamp?: string;
}

/**
 * Writes core/v1 Events about objects, as `kubectl describe` shows them. Repeats of the same
 * (object, type, reason, message) within a process bump `count` on the existing Event instead of
 * creating a new one. Failures are passed to `onError` and never thrown: an Event is a courtesy.
 */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #component: string;
  readonly #onError: (err: unknown) => void;
  readonly #seen = new Map<string, { name: string; namespace: string; count: number }>();

  constructor(client: KubeClient, component: string, onError: (err: unknown) => void = () => undefined) {
    this.#client = client;
    this.#component = component;
    this.#onError = onError;
  }

  async record(regarding: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = regarding.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const key = `${meta.uid}|${type}|${reason}|${message}`;
    const now = microTime(Date.now()).replace(/\.\d+Z$/, 'Z');
    try {
      const seen = this.#seen.get(key);
      if (seen) {
        seen.count++;
        try {
          await this.#client.patch<CoreEvent>(eventRef(namespace, seen.name), 'merge', {
            count: seen.count,
            lastTimestamp: now,
          });
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.#seen.delete(key);
        }
      }
      const created = await this.#client.create<CoreEvent>(eventRef(namespace), {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${meta.name ?? 'object'}.`, namespace },
        involvedObject: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: this.#component },
        reportingComponent: this.#component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      if (this.#seen.size > 4096) this.#seen.clear();
      this.#seen.set(key, { name: created.metadata?.name ?? '', namespace, count: 1 });
    } catch (err) {
      this.#onError(err);
    }
  }
}
