/** Groups, reads and the convergence check shared by the operator fault tests. */
import { GROUP_API, GroupConfigMap, decodeGroupConfig } from '#api';
import { configMapRef, isNotFound, resourceRef, type KubeClient, type KubeObject } from '#lib/kube';
import { contentHash } from '#operator/render/config-map';
import { eventually } from '../../harness/context.ts';

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface Group extends KubeObject {
  spec: { dnisPool?: { number: string; description?: string }[]; [field: string]: unknown };
  status?: {
    observedGeneration?: number;
    poolSize?: number;
    configMapName?: string;
    conditions?: Condition[];
  };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export const groupsRef = (namespace: string, name?: string) => resourceRef(GROUP_API, namespace, name);
export const configMapsRef = (namespace: string, name?: string) => configMapRef(namespace, name);

/** `count` distinct toll-free numbers starting at `first` (+1 800 555 xxxx). */
export function numbers(first: number, count: number): { number: string; description: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    number: `+1800555${String(first + i).padStart(4, '0')}`,
    description: `line ${first + i}`,
  }));
}

export function groupManifest(namespace: string, name: string, pool: { number: string }[]): Group {
  return {
    apiVersion: `${GROUP_API.group}/${GROUP_API.version}`,
    kind: GROUP_API.kind,
    metadata: { name, namespace },
    spec: { dnisPool: pool, expirySeconds: 60 },
  };
}

export async function readConfigMap(
  kube: KubeClient,
  namespace: string,
  name: string,
): Promise<ConfigMap | undefined> {
  try {
    return await kube.get<ConfigMap>(configMapsRef(namespace, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Every problem that keeps the namespace from being converged: each group Ready=True for its current
 * generation with exactly one published ConfigMap, controlled by it, whose content hash matches its
 * data and whose pool is the group's pool; and no published ConfigMap without a live group. Empty
 * when converged.
 */
export async function convergenceProblems(kube: KubeClient, namespace: string): Promise<string[]> {
  const problems: string[] = [];
  const groups = (await kube.list<Group>(groupsRef(namespace))).items;
  const published = (
    await kube.list<ConfigMap>(configMapsRef(namespace), {
      labelSelector: `${GroupConfigMap.roleLabel}=${GroupConfigMap.roleValue}`,
    })
  ).items;
  const byOwner = new Map<string, ConfigMap[]>();
  for (const cm of published) {
    const uid = cm.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? '(none)';
    byOwner.set(uid, [...(byOwner.get(uid) ?? []), cm]);
    const hash = cm.metadata?.annotations?.[GroupConfigMap.contentHashAnnotation];
    if (hash !== contentHash(cm.data ?? {}))
      problems.push(`ConfigMap ${cm.metadata?.name}: content hash ${hash} does not match its data`);
  }
  const liveUids = new Set(groups.map((g) => g.metadata?.uid));
  for (const cm of published) {
    const uid = cm.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
    if (!liveUids.has(uid)) problems.push(`ConfigMap ${cm.metadata?.name} has no live group`);
  }
  for (const g of groups) {
    const name = g.metadata?.name ?? '';
    const ready = g.status?.conditions?.find((c) => c.type === 'Ready');
    if (g.status?.observedGeneration !== g.metadata?.generation || ready?.status !== 'True') {
      problems.push(`group ${name}: not Ready for generation ${g.metadata?.generation}`);
      continue;
    }
    const own = byOwner.get(g.metadata?.uid ?? '') ?? [];
    if (own.length !== 1) {
      problems.push(`group ${name}: ${own.length} ConfigMaps`);
      continue;
    }
    const decoded = decodeGroupConfig(own[0]!.data ?? {});
    const want = (g.spec.dnisPool ?? []).map((e) => e.number).join(',');
    if (decoded.dnisPool.map((e) => e.number).join(',') !== want)
      problems.push(`group ${name}: ConfigMap pool differs from the spec`);
    if (g.status?.poolSize !== decoded.dnisPool.length)
      problems.push(`group ${name}: status.poolSize ${g.status?.poolSize} != ${decoded.dnisPool.length}`);
  }
  return problems;
}

/**
 * Waits until `convergenceProblems` finds none, polling every `intervalMs` for at most `timeoutMs`;
 * resolves with the (empty) list of problems.
 */
export function waitConverged(
  kube: KubeClient,
  namespace: string,
  what: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<string[]> {
  return eventually(
    what,
    async () => {
      const problems = await convergenceProblems(kube, namespace);
      return problems.length === 0 ? problems : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}
