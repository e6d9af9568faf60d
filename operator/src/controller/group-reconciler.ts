import {
  GROUP_API,
  describeIssues,
  groupNameOf,
  resolveGroup,
  type ClickToCallInGroupSpec,
  type ConfigMapObject,
  type GroupObject,
} from '#api';
import type { Logger } from '#lib';
import {
  configMapRef,
  isAlreadyExists,
  isNotFound,
  objectKey,
  resourceRef,
  type EventRecorder,
  type Informer,
  type KubeClient,
} from '#lib/kube';
import {
  MAX_CONFIG_MAP_BYTES,
  configMapName,
  controllerUid,
  dataBytes,
  isUpToDate,
  renderConfigMap,
  type RenderedConfigMap,
} from '../render/config-map.ts';
import {
  Reason,
  notReadyStatus,
  readyStatus,
  statusEqual,
  findCondition,
  ConditionType,
  type GroupStatus,
} from './conditions.ts';
import type { ReconcileResult, Reconciler } from './controller.ts';
import { TerminalError } from './errors.ts';

const groupName = (group: GroupObject) => groupNameOf(group.spec, group.metadata?.name) ?? '';

/** Older first; ties (same second) broken by namespace/name, so every replica agrees. */
function createdBefore(a: GroupObject, b: GroupObject): boolean {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb;
  return objectKey(a) < objectKey(b);
}

export type ConfigMapAction = 'created' | 'updated' | 'unchanged' | 'deleted';

export interface GroupReconcilerDeps {
  client: KubeClient;
  groups: Informer<GroupObject>;
  /** ConfigMaps this operator publishes (selected by the role label). */
  owned: Informer<ConfigMapObject>;
  /** Other ConfigMaps: the CSV sources of spec.dnisPoolFrom. */
  sources: Informer<ConfigMapObject>;
  recorder: EventRecorder;
  log: Logger;
  now?: () => Date;
  onConfigMapWrite?: (action: ConfigMapAction) => void;
}

const groupRef = (namespace: string, name?: string) => resourceRef(GROUP_API, namespace, name);

/**
 * Turns one ClickToCallInGroup into its ConfigMap and status. Reads come from the informer caches;
 * writes happen only when the content hash or the status differ, so a restart writes nothing.
 */
export class GroupReconciler implements Reconciler {
  readonly #d: GroupReconcilerDeps;
  readonly #now: () => Date;
  /** ConfigMaps written but not yet seen back through the watch: key → what was written. */
  readonly #written = new Map<string, ConfigMapObject>();
  /** Statuses written but not yet seen back through the watch: group key → what the API server returned. */
  readonly #statusWritten = new Map<string, GroupObject>();

  constructor(deps: GroupReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    deps.owned.onUpdate((cm) => this.#caughtUp(cm));
    deps.owned.onAdd((cm) => this.#caughtUp(cm));
    deps.owned.onDelete((cm) => this.#written.delete(objectKey(cm)));
    const groupCaughtUp = (g: GroupObject) => {
      const key = objectKey(g);
      if (this.#statusWritten.get(key)?.metadata?.resourceVersion === g.metadata?.resourceVersion) {
        this.#statusWritten.delete(key);
      }
    };
    deps.groups.onUpdate(groupCaughtUp);
    deps.groups.onDelete((g) => this.#statusWritten.delete(objectKey(g)));
  }

  #caughtUp(cm: ConfigMapObject): void {
    const key = objectKey(cm);
    if (this.#written.get(key)?.metadata?.resourceVersion === cm.metadata?.resourceVersion)
      this.#written.delete(key);
  }

  /**
   * The group as the cache has it, or — when our own status write has not come back through the watch
   * yet — as that write left it, so that a quick second reconcile neither rewrites the same status
   * nor fails on a stale resourceVersion.
   */
  #latest(key: string): GroupObject | undefined {
    const cached = this.#d.groups.get(key);
    const written = this.#statusWritten.get(key);
    if (!cached || !written) return cached;
    if (
      written.metadata?.uid !== cached.metadata?.uid ||
      written.metadata?.generation !== cached.metadata?.generation
    ) {
      this.#statusWritten.delete(key);
      return cached;
    }
    return written;
  }

  /** Stops between steps once `signal` aborts, and hands it to every write. */
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> {
    signal.throwIfAborted();
    const group = this.#latest(key);
    // Gone or going: the garbage collector removes the ConfigMap through its owner reference.
    if (!group || group.metadata?.deletionTimestamp) return { outcome: 'success' };
    try {
      await this.#sync(group, signal);
      return { outcome: 'success' };
    } catch (err) {
      if (!(err instanceof TerminalError)) throw err;
      await this.#reportFailure(group, err, signal);
      return { outcome: 'terminal' };
    }
  }

  async #sync(group: GroupObject, signal: AbortSignal): Promise<void> {
    const meta = group.metadata!;
    const namespace = meta.namespace!;
    const spec = group.spec ?? ({} as ClickToCallInGroupSpec);
    const cmName = configMapName(meta.name!);

    const name = groupName(group);
    const first = this.#firstNamed(name);
    if (first && first.metadata?.uid !== meta.uid) {
      await this.#withdraw(group, cmName, signal);
      throw new TerminalError(
        Reason.DuplicateGroupName,
        `groupName "${name}" is already used by group ${first.metadata?.namespace}/${first.metadata?.name}, created earlier; ` +
          `set a different spec.groupName (group names must be unique)`,
      );
    }

    let csvPool: { text: string; source: string } | undefined;
    const from = spec.dnisPoolFrom?.configMapKeyRef;
    if (from) {
      const source = this.#d.sources.get(`${namespace}/${from.name}`);
      if (!source) {
        throw new TerminalError(
          Reason.DnisPoolSourceNotFound,
          `spec.dnisPoolFrom.configMapKeyRef names ConfigMap "${from.name}", which does not exist in namespace ${namespace}; create it or fix the name`,
        );
      }
      const text = source.data?.[from.key];
      if (text === undefined) {
        const keys = Object.keys(source.data ?? {});
        throw new TerminalError(
          Reason.DnisPoolSourceKeyNotFound,
          `ConfigMap "${from.name}" has no key "${from.key}" (it has ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'no keys'}); fix spec.dnisPoolFrom.configMapKeyRef.key or add the key`,
        );
      }
      csvPool = { text, source: `${from.name}/${from.key}` };
    }

    const startedAt = performance.now();
    const resolved = resolveGroup(spec, { metadataName: meta.name!, csvPool });
    const resolvedMs = performance.now() - startedAt;
    if (!resolved.group) {
      const inCsv = csvPool !== undefined && resolved.errors.some((e) => e.path.startsWith(csvPool.source));
      throw new TerminalError(
        inCsv ? Reason.InvalidDnisPool : Reason.InvalidSpec,
        `fix ${resolved.errors.length === 1 ? 'this problem' : `these ${resolved.errors.length} problems`}: ${describeIssues(resolved.errors)}`,
      );
    }

    const desired = renderConfigMap(resolved.group, {
      apiVersion: `${GROUP_API.group}/${GROUP_API.version}`,
      kind: GROUP_API.kind,
      name: meta.name!,
      namespace,
      uid: meta.uid!,
    });
    const bytes = dataBytes(desired.data);
    if (bytes > MAX_CONFIG_MAP_BYTES) {
      throw new TerminalError(
        Reason.ConfigMapTooLarge,
        `the group's ConfigMap would hold ${bytes} bytes, more than the 1 MiB a ConfigMap allows; shorten descriptions or split the pool`,
      );
    }

    signal.throwIfAborted();
    const applyStarted = performance.now();
    const action = await this.#apply(group, desired, signal);
    const applyMs = performance.now() - applyStarted;
    if (action === 'created' || action === 'updated') {
      this.#d.onConfigMapWrite?.(action);
      void this.#d.recorder.record(
        group,
        'Normal',
        action === 'created' ? Reason.ConfigMapCreated : Reason.ConfigMapUpdated,
        `ConfigMap ${cmName} ${action}: ${resolved.group.dnisPool.length} numbers`,
      );
      this.#d.log.info(
        {
          group: name,
          namespace,
          configMap: cmName,
          action,
          resolveMs: Math.round(resolvedMs),
          writeMs: Math.round(applyMs),
        },
        `ConfigMap ${action}`,
      );
    }
    const status = readyStatus(
      group.status,
      meta.generation ?? 0,
      resolved.group.dnisPool.length,
      cmName,
      this.#now(),
    );
    signal.throwIfAborted();
    const statusStarted = performance.now();
    if (await this.#writeStatus(group, status, signal)) {
      this.#d.log.debug(
        { group: name, namespace, statusMs: Math.round(performance.now() - statusStarted) },
        'status written',
      );
    }
  }

  /** The group that holds `groupName`: the oldest live group using it. */
  #firstNamed(name: string): GroupObject | undefined {
    let first: GroupObject | undefined;
    for (const g of this.#d.groups.list()) {
      if (g.metadata?.deletionTimestamp || groupName(g) !== name) continue;
      if (!first || createdBefore(g, first)) first = g;
    }
    return first;
  }

  #existing(namespace: string, name: string): ConfigMapObject | undefined {
    const key = `${namespace}/${name}`;
    return this.#written.get(key) ?? this.#d.owned.get(key) ?? this.#d.sources.get(key);
  }

  async #apply(
    group: GroupObject,
    desired: RenderedConfigMap,
    signal: AbortSignal,
  ): Promise<ConfigMapAction> {
    const { namespace, name } = desired.metadata;
    const existing = this.#existing(namespace, name);
    const key = `${namespace}/${name}`;
    if (!existing) {
      try {
        const created = await this.#d.client.create<ConfigMapObject>(
          configMapRef(namespace),
          desired as unknown as ConfigMapObject,
          { signal },
        );
        this.#written.set(key, created);
        return 'created';
      } catch (err) {
        // Our cache is behind: the next attempt sees it.
        if (isAlreadyExists(err))
          throw new Error(`ConfigMap ${key} exists but is not in the cache yet`, { cause: err });
        throw err;
      }
    }
    const owner = controllerUid(existing);
    if (owner !== group.metadata?.uid) {
      throw new TerminalError(
        Reason.ConfigMapConflict,
        `ConfigMap ${name} already exists and is ${owner ? 'controlled by another object' : 'not managed by this group'}; delete or rename it so the operator can publish the group`,
      );
    }
    if (isUpToDate(existing, desired)) return 'unchanged';
    const body: ConfigMapObject = {
      ...desired,
      metadata: {
        ...existing.metadata,
        labels: { ...existing.metadata?.labels, ...desired.metadata.labels },
        annotations: { ...existing.metadata?.annotations, ...desired.metadata.annotations },
        ownerReferences: desired.metadata.ownerReferences,
        managedFields: undefined,
      },
    };
    const updated = await this.#d.client.replace<ConfigMapObject>(configMapRef(namespace, name), body, {
      signal,
    });
    this.#written.set(key, updated);
    return 'updated';
  }

  /** Removes a ConfigMap this group published earlier (it is no longer allowed to publish one). */
  async #withdraw(group: GroupObject, name: string, signal: AbortSignal): Promise<void> {
    const namespace = group.metadata!.namespace!;
    const existing = this.#existing(namespace, name);
    if (!existing || controllerUid(existing) !== group.metadata?.uid) return;
    try {
      await this.#d.client.delete(
        configMapRef(namespace, name),
        { preconditions: { uid: existing.metadata?.uid } },
        { signal },
      );
      this.#d.onConfigMapWrite?.('deleted');
      void this.#d.recorder.record(group, 'Normal', Reason.ConfigMapDeleted, `ConfigMap ${name} withdrawn`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#written.delete(`${namespace}/${name}`);
  }

  async #reportFailure(group: GroupObject, err: TerminalError, signal: AbortSignal): Promise<void> {
    const before = findCondition(group.status, ConditionType.Ready);
    const status = notReadyStatus(
      group.status,
      group.metadata?.generation ?? 0,
      err.reason,
      err.message,
      this.#now(),
    );
    const changed = await this.#writeStatus(group, status, signal);
    if (changed && (before?.reason !== err.reason || before?.message !== err.message)) {
      void this.#d.recorder.record(group, 'Warning', err.reason, err.message);
      this.#d.log.warn(
        { group: groupName(group), namespace: group.metadata?.namespace, reason: err.reason },
        err.message,
      );
    }
  }

  /** Patches /status when it says something new; returns whether it wrote. */
  async #writeStatus(group: GroupObject, status: GroupStatus, signal: AbortSignal): Promise<boolean> {
    if (statusEqual(group.status, status)) return false;
    const meta = group.metadata!;
    const key = `${meta.namespace}/${meta.name}`;
    try {
      const updated = await this.#d.client.patch<GroupObject>(
        { ...groupRef(meta.namespace!, meta.name), subresource: 'status' },
        'merge',
        {
          metadata: { resourceVersion: meta.resourceVersion },
          status: { poolSize: null, configMapName: null, ...status },
        },
        { signal },
      );
      this.#statusWritten.set(key, updated);
    } catch (err) {
      // 409: the group changed since it was read; retry from the cache, which the watch brings up to date.
      this.#statusWritten.delete(key);
      if (isNotFound(err)) return false;
      throw err;
    }
    return true;
  }
}
