import { EventEmitter } from 'node:events';
import { Backoff, sleep, type BackoffOptions } from './backoff.ts';
import { isGone } from './errors.ts';
import type { KubeApi } from './kube-api.ts';
import type { KubeObject } from './objects.ts';
import type { ResourceRef } from './resource-ref.ts';

/** What the list/watch loop reports about itself; metrics and logs subscribe from outside. */
export const InformerEventType = {
  /** A full list finished; `count` objects are in the cache. */
  List: 'list',
  /** A watch stream was accepted by the API server. */
  Connect: 'connect',
  /** A watch stream ended (server timeout or closed connection) and is reopened from the last resourceVersion. */
  Reconnect: 'reconnect',
  /** 410 Gone: the resourceVersion expired; the informer relists. */
  Gone: 'gone',
  /** No event or bookmark arrived for `watchdogMs`; the watch was restarted. */
  Watchdog: 'watchdog',
  /** The periodic relist fired. */
  Resync: 'resync',
  /** A list or watch failed; the informer retries after `delayMs`. */
  Error: 'error',
} as const;
export type InformerEventType = (typeof InformerEventType)[keyof typeof InformerEventType];

export interface InformerEvent {
  type: InformerEventType;
  /** The informer's name, for metric labels. */
  informer: string;
  count?: number;
  delayMs?: number;
  error?: unknown;
}

export interface InformerOptions {
  /** A short name for logs and metric labels, e.g. `groups`. */
  name: string;
  /** The collection to list and watch (`namespace` omitted: all namespaces). */
  resource: Omit<ResourceRef, 'name' | 'subresource'>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the list (default 500). */
  pageSize?: number;
  /** Relist everything this often, ±10 % jitter (default 10 min; 0 turns it off). */
  resyncIntervalMs?: number;
  /** Restart a watch that delivered nothing, not even a bookmark, for this long (default 90 s). */
  watchdogMs?: number;
  /** Server-side watch timeout; the server closes the stream after this, ±20 % jitter (default 300 s). */
  watchTimeoutSeconds?: number;
  /** Delays between failed lists or watches (default 500 ms doubling to 30 s). */
  backoff?: BackoffOptions;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (obj: T, old: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

/**
 * A list → watch cache of one kind of object, like client-go's shared informer.
 *
 * It lists (paged), then watches from the list's resourceVersion with bookmarks. A 410 Gone drops the
 * resourceVersion and relists; a relist turns into the right add/update/delete calls by comparing with
 * the cache. A watchdog restarts a watch that has gone silent, a periodic relist repairs anything a
 * watch may have missed, and failures retry with exponential backoff. Handlers run synchronously and
 * should only enqueue work. Lifecycle events go to `events` ('event' → `InformerEvent`).
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly events = new EventEmitter<{ event: [InformerEvent] }>();
  readonly #client: KubeApi;
  readonly #options: Required<Omit<InformerOptions, 'labelSelector' | 'fieldSelector' | 'backoff'>> &
    InformerOptions;
  readonly #cache = new Map<string, T>();
  readonly #onAdd = new Set<AddHandler<T>>();
  readonly #onUpdate = new Set<UpdateHandler<T>>();
  readonly #onDelete = new Set<DeleteHandler<T>>();
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #resyncDue = false;
  #currentWatch: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(client: KubeApi, options: InformerOptions) {
    this.#client = client;
    this.name = options.name;
    this.#options = {
      pageSize: 500,
      resyncIntervalMs: 600_000,
      watchdogMs: 90_000,
      watchTimeoutSeconds: 300,
      ...options,
    };
  }

  onAdd(handler: AddHandler<T>): this {
    this.#onAdd.add(handler);
    return this;
  }

  onUpdate(handler: UpdateHandler<T>): this {
    this.#onUpdate.add(handler);
    return this;
  }

  onDelete(handler: DeleteHandler<T>): this {
    this.#onDelete.add(handler);
    return this;
  }

  /** True once the first list has filled the cache. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list has filled the cache. */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** The cached object with this `namespace/name` key. */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** Every cached object (optionally of one namespace). */
  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** Runs the list/watch loop until `signal` aborts; resolves then. Never rejects. */
  run(signal: AbortSignal): Promise<void> {
    this.#running ??= this.#loop(signal).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #emit(event: Omit<InformerEvent, 'informer'>): void {
    this.events.emit('event', { ...event, informer: this.name });
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.#options.backoff);
    const resync = this.#startResyncTimer(signal);
    let resourceVersion: string | undefined;
    try {
      while (!signal.aborted) {
        try {
          if (resourceVersion === undefined || this.#resyncDue) {
            this.#resyncDue = false;
            resourceVersion = await this.#relist(signal);
            if (signal.aborted) break;
            backoff.reset();
          }
          const outcome = await this.#watch(resourceVersion, signal);
          resourceVersion = outcome.resourceVersion;
          if (outcome.connected && outcome.delivered) backoff.reset();
          if (signal.aborted) break;
          if (outcome.reason === 'watchdog') this.#emit({ type: InformerEventType.Watchdog });
          else if (outcome.reason === 'closed') {
            this.#emit({ type: InformerEventType.Reconnect });
            // A stream that closes at once without delivering anything is a failure in disguise.
            if (!outcome.delivered && outcome.durationMs < 1_000) await sleep(backoff.next(), signal);
          }
        } catch (err) {
          if (signal.aborted) break;
          if (isGone(err)) {
            this.#emit({ type: InformerEventType.Gone });
            resourceVersion = undefined;
            continue;
          }
          const delayMs = backoff.next();
          this.#emit({ type: InformerEventType.Error, error: err, delayMs });
          await sleep(delayMs, signal);
        }
      }
    } finally {
      clearTimeout(resync.timer);
    }
  }

  #startResyncTimer(signal: AbortSignal): { timer: NodeJS.Timeout | undefined } {
    const state: { timer: NodeJS.Timeout | undefined } = { timer: undefined };
    const interval = this.#options.resyncIntervalMs;
    if (interval <= 0) return state;
    const arm = () => {
      const delay = interval * (0.9 + 0.2 * Math.random());
      state.timer = setTimeout(() => {
        if (signal.aborted) return;
        this.#resyncDue = true;
        this.#emit({ type: InformerEventType.Resync });
        this.#currentWatch?.abort();
        arm();
      }, delay);
      state.timer.unref();
    };
    arm();
    return state;
  }

  async #relist(signal: AbortSignal): Promise<string> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.#client.list<T>(
        this.#options.resource,
        {
          labelSelector: this.#options.labelSelector,
          fieldSelector: this.#options.fieldSelector,
          limit: this.#options.pageSize,
          continue: cont,
        },
        signal,
      );
      for (const item of page.items) fresh.set(objectKey(item), item);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? '';
    } while (cont);

    for (const [key, old] of this.#cache) {
      if (!fresh.has(key)) {
        this.#cache.delete(key);
        for (const h of this.#onDelete) h(old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.#cache.get(key);
      this.#cache.set(key, obj);
      if (!old) for (const h of this.#onAdd) h(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        for (const h of this.#onUpdate) h(obj, old);
      }
    }
    this.#emit({ type: InformerEventType.List, count: this.#cache.size });
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
    return resourceVersion;
  }

  async #watch(
    fromVersion: string,
    signal: AbortSignal,
  ): Promise<{
    resourceVersion: string;
    reason: 'closed' | 'watchdog' | 'aborted';
    connected: boolean;
    delivered: boolean;
    durationMs: number;
  }> {
    const controller = new AbortController();
    this.#currentWatch = controller;
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let watchdogFired = false;
    let watchdog: NodeJS.Timeout | undefined;
    const feedWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        watchdogFired = true;
        controller.abort();
      }, this.#options.watchdogMs);
      watchdog.unref();
    };
    let resourceVersion = fromVersion;
    let connected = false;
    let delivered = false;
    const started = Date.now();
    const timeoutSeconds = Math.round(this.#options.watchTimeoutSeconds * (0.8 + 0.4 * Math.random()));
    feedWatchdog();
    try {
      const events = this.#client.watchEvents<T>(
        this.#options.resource,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.#options.labelSelector,
          fieldSelector: this.#options.fieldSelector,
        },
        {
          signal: controller.signal,
          onConnect: () => {
            connected = true;
            feedWatchdog();
            this.#emit({ type: InformerEventType.Connect });
          },
        },
      );
      for await (const event of events) {
        feedWatchdog();
        delivered = true;
        const rv = event.object.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        if (event.type === 'BOOKMARK') continue;
        const key = objectKey(event.object);
        const old = this.#cache.get(key);
        if (event.type === 'DELETED') {
          this.#cache.delete(key);
          for (const h of this.#onDelete) h(event.object);
        } else {
          this.#cache.set(key, event.object);
          if (!old) for (const h of this.#onAdd) h(event.object);
          else for (const h of this.#onUpdate) h(event.object, old);
        }
      }
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', onAbort);
      this.#currentWatch = undefined;
    }
    const reason = watchdogFired ? 'watchdog' : controller.signal.aborted ? 'aborted' : 'closed';
    return { resourceVersion, reason, connected, delivered, durationMs: Date.now() - started };
  }
}
