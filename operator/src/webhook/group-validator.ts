import { groupNameOf, type ConfigMapObject, type GroupObject } from '#api';
import { configMapRef, isNotFound, resourcePath, type Informer, type KubeClient } from '#lib/kube';
import {
  reviewGroup,
  isGroupWrite,
  type AdmissionRequest,
  type AdmissionResponse,
  type ReviewContext,
} from './review.ts';

export interface GroupValidatorOptions {
  /** The one namespace the operator watches; the CSV of a group elsewhere is not read. */
  namespace?: string;
}

/**
 * The webhook's lookups around the pure `reviewGroup`: other groups' names from the group cache, and
 * the CSV behind spec.dnisPoolFrom read live (so a CSV applied just before the group is seen).
 *
 * The only object read on a caller's behalf is that ConfigMap, in `request.namespace` (the group's own
 * namespace: configMapKeyRef has no namespace field), only inside the namespace the operator watches,
 * and its content never appears in the answer (see `reviewGroup`).
 */
export function groupValidator(
  client: KubeClient,
  groups: Informer<GroupObject>,
  options: GroupValidatorOptions = {},
) {
  return async (request: AdmissionRequest): Promise<AdmissionResponse> => {
    if (!isGroupWrite(request)) return { uid: request.uid, allowed: true };
    const namespace = typeof request.namespace === 'string' ? request.namespace : '';
    if (namespace === '') {
      return {
        uid: request.uid,
        allowed: false,
        status: {
          code: 400,
          reason: 'BadRequest',
          message: 'request.namespace is missing: a ClickToCallInGroup lives in a namespace',
        },
      };
    }
    const name = request.object?.metadata?.name ?? request.name ?? '';
    const otherGroupNames = new Set<string>();
    for (const g of groups.list()) {
      if (g.metadata?.namespace === namespace && g.metadata?.name === name) continue;
      if (g.metadata?.deletionTimestamp) continue;
      otherGroupNames.add(groupNameOf(g.spec, g.metadata?.name) ?? '');
    }
    const ctx: ReviewContext = { otherGroupNames };
    const spec = request.object?.spec as GroupObject['spec'] | undefined;
    const ref = spec?.dnisPoolFrom?.configMapKeyRef;
    const watched = options.namespace === undefined || options.namespace === namespace;
    if (ref && typeof ref.name === 'string' && typeof ref.key === 'string' && !watched) {
      ctx.csvUnreadable = `spec.dnisPoolFrom: the operator does not watch namespace "${namespace}", so the CSV was not checked`;
    } else if (ref && typeof ref.name === 'string' && typeof ref.key === 'string') {
      try {
        const cm = await client.request<ConfigMapObject>(resourcePath(configMapRef(namespace, ref.name)), {
          timeoutMs: 2_000,
        });
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
