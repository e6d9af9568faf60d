import http from 'node:http';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { AppError } from '../errors.ts';

/** The minimal shape shared by every Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** Where a kind lives: `group` is '' for the core API. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  /** Omit for cluster-scoped resources, or to address all namespaces. */
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale';
}

/** The URL path of a resource, a collection or a subresource. */
export function resourcePath(ref: ResourceRef): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const name = ref.name ? `/${encodeURIComponent(ref.name)}` : '';
  const sub = ref.name && ref.subresource ? `/${ref.subresource}` : '';
  return `${base}${ns}/${ref.plural}${name}${sub}`;
}

export const KubeErrorCode = {
  /** The API server answered with a non-2xx status; see `status` and `reason`. */
  Api: 'KUBE_API_ERROR',
  /** The request did not reach the API server or got no complete answer. */
  Transport: 'KUBE_TRANSPORT_ERROR',
} as const;
export type KubeErrorCode = (typeof KubeErrorCode)[keyof typeof KubeErrorCode];

/** A failed API request. `status` is the HTTP status (0 for transport errors). */
export class KubeError extends AppError<KubeErrorCode> {
  readonly status: number;
  /** The `reason` of the Kubernetes Status object, e.g. `NotFound`, `Conflict`, `AlreadyExists`, `Expired`. */
  readonly reason: string;

  constructor(
    code: KubeErrorCode,
    message: string,
    options: { status?: number; reason?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.status = options.status ?? 0;
    this.reason = options.reason ?? '';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.status === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeError && err.status === 409 && err.reason === 'AlreadyExists';
/** 410 Gone: the resourceVersion is too old, relist. */
export const isGone = (err: unknown): boolean => err instanceof KubeError && err.status === 410;

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Milliseconds before the request is abandoned (default 30 s). */
  timeoutMs?: number;
}

/** One raw watch event as the API server sends it. */
export interface RawWatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
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
export class KubeClient {
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
          reject(new KubeError(KubeErrorCode.Transport, `${method} ${path}: ${err.message}`, { cause: err }));
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(apiError(method, path, status, parsed, text));
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(
          err instanceof KubeError
            ? err
            : new KubeError(KubeErrorCode.Transport, `${method} ${path}: ${err.message}`, { cause: err }),
        );
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

  create<T extends KubeObject>(ref: ResourceRef, body: T, query: Query = {}): Promise<T> {
    return this.request<T>(resourcePath({ ...ref, name: undefined }), { method: 'POST', body, query });
  }

  /** PUT: optimistic concurrency through `metadata.resourceVersion` in `body` (409 on conflict). */
  replace<T extends KubeObject>(ref: ResourceRef, body: T, query: Query = {}): Promise<T> {
    return this.request<T>(resourcePath(ref), { method: 'PUT', body, query });
  }

  patch<T extends KubeObject>(
    ref: ResourceRef,
    type: PatchType,
    body: unknown,
    query: Query = {},
  ): Promise<T> {
    return this.request<T>(resourcePath(ref), {
      method: 'PATCH',
      body,
      query,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  delete(ref: ResourceRef, body?: unknown): Promise<unknown> {
    return this.request(resourcePath(ref), { method: 'DELETE', body });
  }

  /**
   * Opens a watch on a collection path and calls `onEvent` for each event until the server closes the
   * stream, `signal` aborts, or an error occurs. Resolves when the stream ends normally; rejects with a
   * `KubeError` (status 410 for an expired resourceVersion, in the HTTP answer or as an ERROR event).
   * `onConnect` runs once the server has accepted the watch.
   */
  async watch<T extends KubeObject>(
    path: string,
    query: Query,
    onEvent: (event: RawWatchEvent<T>) => void,
    options: { signal?: AbortSignal; onConnect?: () => void } = {},
  ): Promise<void> {
    const url = this.#url(path, { ...query, watch: true });
    const opts = await this.#options('GET', url, { accept: 'application/json' });
    // Watches hold their connection for minutes: give them their own sockets.
    opts.agent = undefined;
    const mod = opts.protocol === 'https:' ? https : http;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      const req = mod.request({ ...opts, signal: options.signal });
      req.on('error', (err) => {
        if (options.signal?.aborted) finish();
        else finish(new KubeError(KubeErrorCode.Transport, `watch ${path}: ${err.message}`, { cause: err }));
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            finish(apiError('GET', path, status, parsed, text));
          });
          return;
        }
        options.onConnect?.();
        res.setEncoding('utf8');
        // Chunks of the current line; a large object arrives in many chunks, so scan only the new one.
        let pending: string[] = [];
        res.on('data', (chunk: string) => {
          let rest = chunk;
          let nl: number;
          while ((nl = rest.indexOf('\n')) >= 0) {
            pending.push(rest.slice(0, nl));
            rest = rest.slice(nl + 1);
            const line = pending.join('').trim();
            pending = [];
            if (line === '') continue;
            let event: RawWatchEvent<T>;
            try {
              event = JSON.parse(line) as RawWatchEvent<T>;
            } catch (err) {
              req.destroy();
              finish(
                new KubeError(KubeErrorCode.Transport, `watch ${path}: unparseable event`, { cause: err }),
              );
              return;
            }
            if (event.type === 'ERROR') {
              const s = event.object as unknown as { code?: number; reason?: string; message?: string };
              req.destroy();
              finish(
                new KubeError(KubeErrorCode.Api, `watch ${path}: ${s.message ?? 'error event'}`, {
                  status: s.code ?? 500,
                  reason: s.reason ?? '',
                }),
              );
              return;
            }
            try {
              onEvent(event);
            } catch (err) {
              req.destroy();
              finish(err);
              return;
            }
          }
          if (rest !== '') pending.push(rest);
        });
        res.on('end', () => finish());
        res.on('close', () => finish());
        res.on('error', (err) => {
          if (options.signal?.aborted) finish();
          else
            finish(new KubeError(KubeErrorCode.Transport, `watch ${path}: ${err.message}`, { cause: err }));
        });
      });
      req.end();
    });
  }
}

function apiError(method: string, path: string, status: number, parsed: unknown, text: string): KubeError {
  const s = (parsed ?? {}) as { message?: string; reason?: string; details?: Record<string, unknown> };
  const message = s.message ?? (text.slice(0, 200) || `HTTP ${status}`);
  return new KubeError(KubeErrorCode.Api, `${method} ${path}: ${status} ${message}`, {
    status,
    reason: s.reason ?? '',
    details: s.details,
  });
}
