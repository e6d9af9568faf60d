import { decodeGroupConfig, GROUP_CONFIG_SELECTOR } from '#api';
import { errorMessage, type Logger } from '#lib';
import { Informer, KubeClient, configMapRef, loadKubeConfig, objectKey, type KubeObject } from '#lib/kube';
import type { GroupRegistry } from './registry.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface ConfigMapSourceOptions {
  /** One namespace, or undefined for all namespaces. */
  namespace: string | undefined;
  kubeconfig?: string;
  log: Logger;
}

/**
 * Keeps the registry in step with the operator's group ConfigMaps (label
 * `clicktocall.dev/role=group-config`), through the shared list-watch informer. A ConfigMap that
 * cannot be decoded is reported and leaves the last good version of its group in place.
 */
export class ConfigMapSource {
  readonly #informer: Informer<ConfigMap>;
  readonly #abort = new AbortController();
  readonly #registry: GroupRegistry;
  readonly #log: Logger;

  constructor(registry: GroupRegistry, options: ConfigMapSourceOptions) {
    this.#registry = registry;
    this.#log = options.log;
    const client = new KubeClient(loadKubeConfig(options.kubeconfig));
    this.#informer = new Informer<ConfigMap>(client, {
      name: 'group-configs',
      resource: configMapRef(options.namespace),
      labelSelector: GROUP_CONFIG_SELECTOR,
    });
    const upsert = (cm: ConfigMap) => {
      try {
        this.#registry.set(`configmap:${objectKey(cm)}`, decodeGroupConfig(cm.data ?? {}));
      } catch (err) {
        this.#log.error({ configMap: objectKey(cm) }, `group ConfigMap not loaded: ${errorMessage(err)}`);
      }
    };
    this.#informer
      .onAdd(upsert)
      .onUpdate((cm) => upsert(cm))
      .onDelete((cm) => this.#registry.delete(`configmap:${objectKey(cm)}`));
    this.#informer.events.on('event', (e) => {
      if (e.error) this.#log.warn({ err: e.error, informer: e.informer }, `ConfigMap informer: ${e.type}`);
    });
  }

  get synced(): boolean {
    return this.#informer.hasSynced;
  }

  /** Starts the informer; resolves once the first list has arrived, or at once when `wait` is false. */
  async start(wait = true): Promise<void> {
    void this.#informer.run(this.#abort.signal);
    if (wait) await this.#informer.waitForSync();
  }

  stop(): void {
    this.#abort.abort();
  }
}
