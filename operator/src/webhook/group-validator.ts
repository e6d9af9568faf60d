import { GROUP_API } from '../../../api/src/index.ts';
import { isNotFound, type Informer, type KubeClient } from '../../../lib/src/kube/index.ts';
import {
  effectiveGroupName,
  type ConfigMapObject,
  type GroupObject,
} from '../controller/group-reconciler.ts';
import {
  reviewGroup,
  isGroupWrite,
  type AdmissionRequest,
  type AdmissionResponse,
  type ReviewContext,
} from './review.ts';

/**
 * The webhook's lookups around the pure `reviewGroup`: other groups' names from the group cache, and
 * the CSV behind spec.dnisPoolFrom read live (so a CSV applied just before the group is seen).
 */
export function groupValidator(client: KubeClient, groups: Informer<GroupObject>) {
  return async (request: AdmissionRequest): Promise<AdmissionResponse> => {
    if (!isGroupWrite(request)) return { uid: request.uid, allowed: true };
    const namespace = request.namespace ?? request.object?.metadata?.namespace ?? '';
    const name = request.object?.metadata?.name ?? request.name ?? '';
    const otherGroupNames = new Set<string>();
    for (const g of groups.list()) {
      if (g.metadata?.namespace === namespace && g.metadata?.name === name) continue;
      if (g.metadata?.deletionTimestamp) continue;
      otherGroupNames.add(effectiveGroupName(g));
    }
    const ctx: ReviewContext = { otherGroupNames };
    const spec = request.object?.spec as GroupObject['spec'] | undefined;
    const ref = spec?.dnisPoolFrom?.configMapKeyRef;
    if (ref && typeof ref.name === 'string' && typeof ref.key === 'string' && namespace) {
      try {
        const cm = await client.request<ConfigMapObject>(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(ref.name)}`,
          {
            timeoutMs: 2_000,
          },
        );
        const text = cm.data?.[ref.key];
        if (text === undefined)
          ctx.csvUnreadable = `spec.dnisPoolFrom: ConfigMap "${ref.name}" has no key "${ref.key}" yet; the group stays not Ready until it does`;
        else ctx.csvPool = { text, source: `${ref.name}/${ref.key}` };
      } catch (err) {
        ctx.csvUnreadable = isNotFound(err)
          ? `spec.dnisPoolFrom: ConfigMap "${ref.name}" does not exist yet; the group stays not Ready until it does`
          : `spec.dnisPoolFrom: ConfigMap "${ref.name}" could not be read, so its CSV was not checked`;
      }
    }
    return reviewGroup(request, ctx);
  };
}

export const GROUP_KIND = GROUP_API.kind;
