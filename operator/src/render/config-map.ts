/**
 * ResolvedGroup → the ConfigMap the allocator reads: pure, no I/O. The name, labels, annotations and
 * keys follow the contract in api/src/resolved-group.ts.
 */
import { createHash } from 'node:crypto';
import { GroupConfigMap, encodeGroupConfig, type ResolvedGroup } from '#api';

/** A ConfigMap's data may hold at most 1 MiB. */
export const MAX_CONFIG_MAP_BYTES = 1024 * 1024;

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'click-to-call-in-operator';

/** The group resource that owns the ConfigMap. */
export interface GroupOwner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface RenderedConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: true;
      blockOwnerDeletion: true;
    }[];
  };
  data: Record<string, string>;
}

/** `<group resource name>-click-to-call-in`. */
export function configMapName(ownerName: string): string {
  return `${ownerName}${GroupConfigMap.nameSuffix}`;
}

/** sha256 over the data, keys in sorted order; stable across processes and versions. */
export function contentHash(data: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(data).sort()) {
    hash
      .update(key)
      .update('\0')
      .update(data[key] ?? '')
      .update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}

/** Bytes of a ConfigMap's data as the API server counts them (keys plus values). */
export function dataBytes(data: Record<string, string>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(data)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  return bytes;
}

export function renderConfigMap(group: ResolvedGroup, owner: GroupOwner): RenderedConfigMap {
  const data = encodeGroupConfig(group);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(owner.name),
      namespace: owner.namespace,
      labels: {
        [GroupConfigMap.roleLabel]: GroupConfigMap.roleValue,
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      },
      annotations: {
        [GroupConfigMap.groupNameAnnotation]: group.groupName,
        [GroupConfigMap.contentHashAnnotation]: contentHash(data),
      },
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data,
  };
}

interface ExistingConfigMap {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; controller?: boolean }[];
  };
  data?: Record<string, string>;
}

/**
 * Whether `existing` already says what `desired` says: same content hash (and data that still matches
 * it), our labels and annotations, and the same controller. Unrelated labels and annotations added by
 * others are left alone.
 */
export function isUpToDate(existing: ExistingConfigMap, desired: RenderedConfigMap): boolean {
  const meta = existing.metadata ?? {};
  for (const [k, v] of Object.entries(desired.metadata.labels)) if (meta.labels?.[k] !== v) return false;
  for (const [k, v] of Object.entries(desired.metadata.annotations))
    if (meta.annotations?.[k] !== v) return false;
  const controller = (meta.ownerReferences ?? []).find((r) => r.controller);
  if (controller?.uid !== desired.metadata.ownerReferences[0]?.uid) return false;
  const data = existing.data ?? {};
  if (Object.keys(data).length !== Object.keys(desired.data).length) return false;
  return contentHash(data) === desired.metadata.annotations[GroupConfigMap.contentHashAnnotation];
}

/** The uid of the object's controller owner, if any. */
export function controllerUid(obj: ExistingConfigMap): string | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.controller)?.uid;
}
