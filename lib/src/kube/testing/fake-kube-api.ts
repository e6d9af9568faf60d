import { KubeError, KubeErrorCode } from '../errors.ts';
import type { KubeApi, Query, WatchOptions, WriteOptions } from '../kube-api.ts';
import type { KubeObject, ObjectList, RawWatchEvent } from '../objects.ts';
import { resourcePath, type ResourceRef } from '../resource-ref.ts';

type Method = 'list' | 'watch' | 'get' | 'create' | 'replace';

/** A `KubeError` as the API server would answer with `status` and `reason`. */
export function apiStatus(status: number, reason: string): KubeError {
  return new KubeError(KubeErrorCode.Api, `${status} ${reason}`, { status, reason });
}

export const transportFailure = (): KubeError =>
  new KubeError(KubeErrorCode.Transport, 'connect ECONNREFUSED');

type Step<T extends KubeObject> =
  { kind: 'event'; event: RawWatchEvent<T> } | { kind: 'end' } | { kind: 'fail'; error: unknown };

/**
 * One watch stream whose events the test sends. The stream starts (`onConnect`) when its consumer
 * starts reading, and ends without error when the consumer's signal aborts, as a real one does.
 */
export class FakeWatch<T extends KubeObject = KubeObject> implements AsyncIterable<RawWatchEvent<T>> {
  readonly query: Query;
  /** `Date.now()` when the watch was requested. */
  readonly openedAt = Date.now();
  readonly #options: WatchOptions;
  readonly #steps: Step<T>[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(query: Query, options: WatchOptions) {
    this.query = query;
    this.#options = options;
  }

  /** True once the consumer stopped reading (the stream ended, failed, or was aborted). */
  get closed(): boolean {
    return this.#closed;
  }

  /** True when the consumer's signal aborted this stream. */
  get aborted(): boolean {
    return this.#options.signal?.aborted ?? false;
  }

  send(type: RawWatchEvent['type'], object: T): this {
    return this.#push({ kind: 'event', event: { type, object } });
  }

  /** The server closes the stream normally (its timeout). */
  end(): this {
    return this.#push({ kind: 'end' });
  }

  /** The stream fails, e.g. with an ERROR event carrying 410 Expired. */
  fail(error: unknown): this {
    return this.#push({ kind: 'fail', error });
  }

  #push(step: Step<T>): this {
    this.#steps.push(step);
    this.#wake?.();
    return this;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RawWatchEvent<T>> {
    const signal = this.#options.signal;
    const onAbort = () => this.#wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      if (signal?.aborted) return;
      this.#options.onConnect?.();
      for (;;) {
        if (signal?.aborted) return;
        const step = this.#steps.shift();
        if (!step) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        if (step.kind === 'end') return;
        if (step.kind === 'fail') throw step.error;
        yield step.event;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#closed = true;
    }
  }
}

/**
 * An in-memory `KubeApi`: objects by path with resourceVersions and optimistic concurrency (409 on a
 * stale `replace`, 409 AlreadyExists on `create`), watches the test drives through `FakeWatch`, and
 * failures queued per method with `failNext`.
 */
export class FakeKubeApi implements KubeApi {
  /** Every watch opened, oldest first. */
  readonly watches: FakeWatch[] = [];
  /** How many times each method was called. */
  readonly calls: Record<Method, number> = { list: 0, watch: 0, get: 0, create: 0, replace: 0 };
  readonly #objects = new Map<string, KubeObject>();
  readonly #failures: Record<Method, unknown[]> = { list: [], watch: [], get: [], create: [], replace: [] };
  readonly #outages: Partial<Record<Method, unknown>> = {};
  #revision = 0;
  readonly #watchWaiters: (() => void)[] = [];

  /** The next `times` calls of `method` fail with `error` (before touching any state). */
  failNext(method: Method, error: unknown, times = 1): this {
    for (let i = 0; i < times; i++) this.#failures[method].push(error);
    return this;
  }

  /** Every call of `method` fails with `error` until `heal()`. */
  failAlways(method: Method, error: unknown): { heal: () => void } {
    this.#outages[method] = error;
    return { heal: () => delete this.#outages[method] };
  }

  /** The collection's current resourceVersion, as a list would return it. */
  get resourceVersion(): string {
    return String(this.#revision);
  }

  /** Stores `obj` as if another client had written it; returns it with its new resourceVersion. */
  put<T extends KubeObject>(ref: ResourceRef, obj: T): T {
    return this.#stamp(ref, obj);
  }

  remove(ref: ResourceRef): void {
    this.#objects.delete(resourcePath(ref));
    this.#revision++;
  }

  /** The stored object, or undefined. */
  read<T extends KubeObject>(ref: ResourceRef): T | undefined {
    const obj = this.#objects.get(resourcePath(ref));
    return obj && (structuredClone(obj) as T);
  }

  /** Resolves with the `n`-th watch (counting from 1) once it has been opened. */
  async openedWatch(n: number): Promise<FakeWatch> {
    while (this.watches.length < n) await new Promise<void>((resolve) => this.#watchWaiters.push(resolve));
    return this.watches[n - 1]!;
  }

  async list<T extends KubeObject>(ref: ResourceRef, query: Query = {}): Promise<ObjectList<T>> {
    this.calls.list++;
    this.#maybeFail('list');
    const prefix = `${resourcePath({ ...ref, name: undefined })}/`;
    const items = [...this.#objects]
      .filter(([path]) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
      .map(([, obj]) => structuredClone(obj) as T)
      .filter((obj) => matchesLabels(obj, query.labelSelector));
    return { metadata: { resourceVersion: this.resourceVersion }, items };
  }

  watchEvents<T extends KubeObject>(
    _ref: ResourceRef,
    query: Query,
    options: WatchOptions = {},
  ): AsyncIterable<RawWatchEvent<T>> {
    this.calls.watch++;
    const failure = this.#nextFailure('watch');
    const stream = new FakeWatch<T>(query, options);
    this.watches.push(stream as unknown as FakeWatch);
    for (const wake of this.#watchWaiters.splice(0)) wake();
    if (failure !== undefined) {
      // Refused in the HTTP answer, before the stream starts.
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(failure),
        }),
      };
    }
    return stream;
  }

  async getOrUndefined<T extends KubeObject>(ref: ResourceRef): Promise<T | undefined> {
    this.calls.get++;
    this.#maybeFail('get');
    return this.read<T>(ref);
  }

  async create<T extends KubeObject>(ref: ResourceRef, body: T, _options?: WriteOptions): Promise<T> {
    this.calls.create++;
    this.#maybeFail('create');
    const target = { ...ref, name: body.metadata?.name };
    if (this.#objects.has(resourcePath(target))) throw apiStatus(409, 'AlreadyExists');
    return this.#stamp(target, body);
  }

  async replace<T extends KubeObject>(ref: ResourceRef, body: T, _options?: WriteOptions): Promise<T> {
    this.calls.replace++;
    this.#maybeFail('replace');
    const current = this.#objects.get(resourcePath(ref));
    if (!current) throw apiStatus(404, 'NotFound');
    const expected = body.metadata?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata?.resourceVersion) {
      throw apiStatus(409, 'Conflict');
    }
    return this.#stamp(ref, body);
  }

  #nextFailure(method: Method): unknown {
    return this.#outages[method] ?? this.#failures[method].shift();
  }

  #maybeFail(method: Method): void {
    const failure = this.#nextFailure(method);
    if (failure !== undefined) throw failure;
  }

  #stamp<T extends KubeObject>(ref: ResourceRef, obj: T): T {
    this.#revision++;
    const stored = structuredClone({
      ...obj,
      metadata: {
        ...obj.metadata,
        name: ref.name,
        namespace: ref.namespace,
        resourceVersion: this.resourceVersion,
      },
    }) as T;
    this.#objects.set(resourcePath(ref), stored);
    return structuredClone(stored);
  }
}

/** `key=value` selectors joined by commas, which is all the tests use. */
function matchesLabels(obj: KubeObject, selector: unknown): boolean {
  if (typeof selector !== 'string' || selector === '') return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return obj.metadata?.labels?.[key ?? ''] === value;
  });
}
