/**
 * The group controller's setup, like controller-runtime's `SetupWithManager`: it reconciles groups, owns
 * the ConfigMaps it publishes, and watches the ConfigMaps that spec.dnisPoolFrom names. The mappings
 * from an event to the keys it queues are pure.
 */
import { GROUP_API, GroupConfigMap, groupNameOf, type ConfigMapObject, type GroupObject } from '#api';
import { objectKey } from '#lib/kube';
import {
  ControllerBuilder,
  onEveryEvent,
  type ControllerSettings,
  type EventMapping,
  type EventSource,
} from './builder.ts';
import type { Controller, Reconciler } from './controller.ts';
import type { WorkQueue } from './work-queue.ts';

/** The ConfigMaps a pool may come from: every one but the published group configs. */
export const NOT_GROUP_CONFIG_SELECTOR = `${GroupConfigMap.roleLabel}!=${GroupConfigMap.roleValue}`;

/** The groups as the cache holds them. */
export interface GroupLister {
  list(namespace?: string): GroupObject[];
}

const groupName = (group: GroupObject) => groupNameOf(group.spec, group.metadata?.name);

/** Keys of all groups using `name`. */
export function groupsNamed(groups: GroupLister, name: string | undefined): string[] {
  return groups
    .list()
    .filter((g) => groupName(g) === name)
    .map(objectKey);
}

/**
 * For: a group's own changes queue it, but not a status write (it bumps resourceVersion, not
 * generation). A group that gives up a name, renamed or deleted, queues the groups using that name:
 * the next in line may publish now.
 */
export function groupEvents(groups: GroupLister): EventMapping<GroupObject> {
  return {
    added: (group) => [objectKey(group)],
    updated: (group, old) => {
      const changed =
        group.metadata?.generation !== old.metadata?.generation ||
        group.metadata?.deletionTimestamp !== old.metadata?.deletionTimestamp ||
        group.metadata?.uid !== old.metadata?.uid;
      const renamed = groupName(group) !== groupName(old);
      return [
        ...(changed ? [objectKey(group)] : []),
        ...(renamed ? groupsNamed(groups, groupName(old)) : []),
      ];
    },
    deleted: (group) => groupsNamed(groups, groupName(group)),
  };
}

/** Owns: the key of the group that controls a published ConfigMap, if it is one of ours. */
export function ownerGroupKey(cm: ConfigMapObject): string | undefined {
  const ref = (cm.metadata?.ownerReferences ?? []).find(
    (r) => r.controller && r.kind === GROUP_API.kind && r.apiVersion.startsWith(`${GROUP_API.group}/`),
  );
  if (!ref || !cm.metadata?.namespace) return undefined;
  return `${cm.metadata.namespace}/${ref.name}`;
}

/** Watches: any change to a ConfigMap queues the groups in its namespace whose spec.dnisPoolFrom names it. */
export function poolSourceEvents(groups: GroupLister): EventMapping<ConfigMapObject> {
  return onEveryEvent((cm) => {
    const namespace = cm.metadata?.namespace ?? '';
    const name = cm.metadata?.name ?? '';
    return groups
      .list(namespace)
      .filter((g) => g.spec?.dnisPoolFrom?.configMapKeyRef?.name === name)
      .map((g) => `${namespace}/${g.metadata?.name}`);
  });
}

export interface GroupControllerSources {
  groups: EventSource<GroupObject> & GroupLister;
  /** The ConfigMaps the operator publishes (by the role label). */
  owned: EventSource<ConfigMapObject>;
  /** Every other ConfigMap: where spec.dnisPoolFrom may point (`NOT_GROUP_CONFIG_SELECTOR`). */
  sources: EventSource<ConfigMapObject>;
}

/** Connects the sources to `queue` and returns the controller that runs `reconciler` over it. */
export function setupGroupController(
  sources: GroupControllerSources,
  reconciler: Reconciler,
  queue: WorkQueue,
  settings: ControllerSettings,
): Controller {
  return new ControllerBuilder('clicktocallingroup', queue)
    .for(sources.groups, groupEvents(sources.groups))
    .owns(sources.owned, ownerGroupKey)
    .watches(sources.sources, poolSourceEvents(sources.groups))
    .complete(reconciler, settings);
}
