import type { KubeObject, ObjectList, RawWatchEvent } from './objects.ts';
import type { ResourceRef } from './resource-ref.ts';

export type Query = Record<string, string | number | boolean | undefined>;

/** Options of a write: create, replace, patch, delete. */
export interface WriteOptions {
  /** Query parameters, e.g. `{ dryRun: 'All' }`. */
  query?: Query;
  /** Abandons the request when it aborts (the API server may still have applied the write). */
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Ends the stream, without an error. */
  signal?: AbortSignal;
  /** Runs once the API server has accepted the watch. */
  onConnect?: () => void;
}

/**
 * The calls the informer and the leader elector make. `KubeClient` is the real one; unit tests drive
 * those state machines with a fake.
 */
export interface KubeApi {
  list<T extends KubeObject>(ref: ResourceRef, query?: Query, signal?: AbortSignal): Promise<ObjectList<T>>;
  /**
   * The events of a collection from `query.resourceVersion` on, until the server closes the stream or
   * `options.signal` aborts; both end the stream normally. Fails with a `KubeError`: status 410 for an
   * expired resourceVersion, whether in the HTTP answer or as an ERROR event.
   */
  watchEvents<T extends KubeObject>(
    ref: ResourceRef,
    query: Query,
    options?: WatchOptions,
  ): AsyncIterable<RawWatchEvent<T>>;
  /** The object, or `undefined` when it does not exist. */
  getOrUndefined<T extends KubeObject>(ref: ResourceRef, signal?: AbortSignal): Promise<T | undefined>;
  create<T extends KubeObject>(ref: ResourceRef, body: T, options?: WriteOptions): Promise<T>;
  /** PUT: optimistic concurrency through `metadata.resourceVersion` in `body` (409 on conflict). */
  replace<T extends KubeObject>(ref: ResourceRef, body: T, options?: WriteOptions): Promise<T>;
}
