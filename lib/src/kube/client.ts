import http from 'node:http';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { apiError, isNotFound, KubeError, KubeErrorCode, transportError } from './errors.ts';
import type { KubeApi, Query, WatchOptions, WriteOptions } from './kube-api.ts';
import type { KubeObject, ObjectList, RawWatchEvent } from './objects.ts';
import { resourcePath, type ResourceRef } from './resource-ref.ts';
import { parseWatchEvents, splitLines } from './watch-stream.ts';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Milliseconds before the request is abandoned (default 30 s). */
  timeoutMs?: number;
}

/** Loads a kubeconfig: the file if given, else in-cluster, else the default locations ($KUBECONFIG, ~/.kube). */
export function loadKubeConfig(file?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/**
 * A small JSON client for the Kubernetes API: raw paths, typed errors, keep-alive connections, and a
 * streaming watch. Authentication comes from the kubeconfig (certificates, tokens, exec plugins).
 */
export class KubeClient implements KubeApi {
  readonly kubeConfig: k8s.KubeConfig;
  readonly #server: URL;
  readonly #agent: http.Agent;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.kubeConfig = kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeError(KubeErrorCode.Transport, 'the kubeconfig has no current cluster');
    this.#server = new URL(cluster.server);
    const isHttps = this.#server.protocol === 'https:';
    this.#agent = isHttps
      ? new https.Agent({ keepAlive: true, maxSockets: 32 })
      : new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  async #options(method: string, url: URL, headers: Record<string, string>): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = { method, headers: { ...headers } };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    // applyToHTTPSOptions may install its own agent; keep ours so connections are reused.
    opts.agent = this.#agent;
    opts.hostname = url.hostname;
    opts.port = url.port;
    opts.path = url.pathname + url.search;
    opts.protocol = url.protocol;
    return opts;
  }

  #url(path: string, query: Query = {}): URL {
    const url = new URL(this.#server.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  #send(opts: https.RequestOptions, signal?: AbortSignal) {
    const mod = opts.protocol === 'https:' ? https : http;
    return mod.request({ ...opts, signal });
  }

  /** Sends one request and parses the JSON answer; non-2xx answers throw a `KubeError`. */
  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? 'GET';
    const url = this.#url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const opts = await this.#options(method, url, headers);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const req = this.#send(opts, options.signal);
      const timer = setTimeout(
        () =>
          req.destroy(
            new KubeError(KubeErrorCode.Transport, `${method} ${path} timed out after ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(transportError(`${method} ${path}`, err));
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(apiError(method, path, status, text));
          try {
            resolve((text === '' ? undefined : JSON.parse(text)) as T);
          } catch {
            resolve(undefined as T);
          }
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof KubeError ? err : transportError(`${method} ${path}`, err));
      });
      req.end(body);
    });
  }

  get<T extends KubeObject>(ref: ResourceRef, signal?: AbortSignal): Promise<T> {
    return this.request<T>(resourcePath(ref), { signal });
  }

  /** Like `get`, but resolves `undefined` for 404. */
  async getOrUndefined<T extends KubeObject>(ref: ResourceRef, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  list<T extends KubeObject>(
    ref: ResourceRef,
    query: Query = {},
    signal?: AbortSignal,
  ): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>(resourcePath({ ...ref, name: undefined }), { query, signal });
  }

  create<T extends KubeObject>(ref: ResourceRef, body: T, options: WriteOptions = {}): Promise<T> {
    const { query, signal } = options;
    return this.request<T>(resourcePath({ ...ref, name: undefined }), {
      method: 'POST',
      body,
      query,
      signal,
    });
  }

  /** PUT: optimistic concurrency through `metadata.resourceVersion` in `body` (409 on conflict). */
  replace<T extends KubeObject>(ref: ResourceRef, body: T, options: WriteOptions = {}): Promise<T> {
    const { query, signal } = options;
    return this.request<T>(resourcePath(ref), { method: 'PUT', body, query, signal });
  }

  patch<T extends KubeObject>(
    ref: ResourceRef,
    type: PatchType,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<T> {
    const { query, signal } = options;
    const contentType = PATCH_CONTENT_TYPES[type];
    return this.request<T>(resourcePath(ref), { method: 'PATCH', body, query, signal, contentType });
  }

  /** `body` is a DeleteOptions, e.g. `{ preconditions: { uid } }`. */
  delete(ref: ResourceRef, body?: unknown, options: WriteOptions = {}): Promise<unknown> {
    const { query, signal } = options;
    return this.request(resourcePath(ref), { method: 'DELETE', body, query, signal });
  }

  watchEvents<T extends KubeObject>(
    ref: ResourceRef,
    query: Query,
    options: WatchOptions = {},
  ): AsyncGenerator<RawWatchEvent<T>> {
    return this.#watch<T>(resourcePath({ ...ref, name: undefined }), query, options);
  }

  /**
   * Like `watchEvents` on a collection path, calling `onEvent` for each event; resolves when the stream
   * ends normally. An error thrown by `onEvent` closes the stream and rejects.
   */
  async watch<T extends KubeObject>(
    path: string,
    query: Query,
    onEvent: (event: RawWatchEvent<T>) => void,
    options: WatchOptions = {},
  ): Promise<void> {
    for await (const event of this.#watch<T>(path, query, options)) onEvent(event);
  }

  async *#watch<T extends KubeObject>(
    path: string,
    query: Query,
    options: WatchOptions,
  ): AsyncGenerator<RawWatchEvent<T>> {
    const { signal } = options;
    const answer = await this.#openWatch(path, query, signal);
    if (!answer) return;
    const { req, res } = answer;
    options.onConnect?.();
    res.setEncoding('utf8');
    try {
      yield* parseWatchEvents<T>(splitLines(res as AsyncIterable<string>), path);
    } catch (err) {
      if (signal?.aborted || isPrematureClose(err)) return;
      throw err instanceof KubeError ? err : transportError(`watch ${path}`, err as Error);
    } finally {
      req.destroy();
    }
  }

  /** Sends the watch request; resolves with the accepted stream, or `undefined` when `signal` aborted. */
  async #openWatch(
    path: string,
    query: Query,
    signal: AbortSignal | undefined,
  ): Promise<{ req: http.ClientRequest; res: http.IncomingMessage } | undefined> {
    const opts = await this.#options('GET', this.#url(path, { ...query, watch: true }), {
      accept: 'application/json',
    });
    // Watches hold their connection for minutes: give them their own sockets.
    opts.agent = undefined;
    return new Promise((resolve, reject) => {
      const req = this.#send(opts, signal);
      req.on('error', (err) => {
        if (signal?.aborted) resolve(undefined);
        else reject(transportError(`watch ${path}`, err));
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200) return resolve({ req, res });
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(transportError(`watch ${path}`, err)));
        res.on('end', () => reject(apiError('GET', path, status, Buffer.concat(chunks).toString('utf8'))));
      });
      req.end();
    });
  }
}

/** The server closed the stream without ending it cleanly: a reconnect, as for a normal end. */
function isPrematureClose(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}
