/** The Ready condition and the group status, computed from what reconcile found: pure, no I/O. */
import type { ClickToCallInGroupStatus, GroupCondition } from '#api';

export const ConditionType = { Ready: 'Ready' } as const;

/**
 * Reasons of the Ready condition and of Events. Each has a row in docs/operator.md saying what to fix.
 */
export const Reason = {
  /** Ready=True: the ConfigMap holds the current spec. */
  Reconciled: 'Reconciled',
  /** Ready=False: the spec breaks a rule the CRD schema cannot check. */
  InvalidSpec: 'InvalidSpec',
  /** Ready=False: the CSV named by spec.dnisPoolFrom has bad lines. */
  InvalidDnisPool: 'InvalidDnisPool',
  /** Ready=False: the ConfigMap named by spec.dnisPoolFrom does not exist. */
  DnisPoolSourceNotFound: 'DnisPoolSourceNotFound',
  /** Ready=False: the ConfigMap exists but has no such key. */
  DnisPoolSourceKeyNotFound: 'DnisPoolSourceKeyNotFound',
  /** Ready=False: another group already uses this groupName. */
  DuplicateGroupName: 'DuplicateGroupName',
  /** Ready=False: the rendered ConfigMap would exceed 1 MiB. */
  ConfigMapTooLarge: 'ConfigMapTooLarge',
  /** Ready=False: a ConfigMap of that name exists and is not owned by this group. */
  ConfigMapConflict: 'ConfigMapConflict',
  /** Event: the ConfigMap was created. */
  ConfigMapCreated: 'ConfigMapCreated',
  /** Event: the ConfigMap was updated to a new spec. */
  ConfigMapUpdated: 'ConfigMapUpdated',
  /** Event: the ConfigMap was withdrawn (e.g. the group became a duplicate). */
  ConfigMapDeleted: 'ConfigMapDeleted',
  /** Ready=Unknown / Event: a write to the API server failed; the operator retries. */
  ReconcileError: 'ReconcileError',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export type ConditionStatus = GroupCondition['status'];

export type GroupStatus = ClickToCallInGroupStatus;

/**
 * Sets one condition in a list, keeping `lastTransitionTime` when the status did not change (as
 * apimachinery's meta.SetStatusCondition does). Returns a new list.
 */
export function setCondition(
  conditions: readonly GroupCondition[] | undefined,
  next: Omit<GroupCondition, 'lastTransitionTime'>,
  now: Date,
): GroupCondition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    previous && previous.status === next.status
      ? previous.lastTransitionTime
      : now.toISOString().replace(/\.\d+Z$/, 'Z');
  const condition: GroupCondition = { ...next, lastTransitionTime };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

export function findCondition(status: GroupStatus | undefined, type: string): GroupCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The status of a published group. */
export function readyStatus(
  current: GroupStatus | undefined,
  generation: number,
  poolSize: number,
  configMap: string,
  now: Date,
): GroupStatus {
  return {
    observedGeneration: generation,
    poolSize,
    configMapName: configMap,
    conditions: setCondition(
      current?.conditions,
      {
        type: ConditionType.Ready,
        status: 'True',
        reason: Reason.Reconciled,
        message: `published ${poolSize} number${poolSize === 1 ? '' : 's'} in ConfigMap ${configMap}`,
        observedGeneration: generation,
      },
      now,
    ),
  };
}

/** The status of a group that could not be published; `poolSize` and `configMapName` are dropped. */
export function notReadyStatus(
  current: GroupStatus | undefined,
  generation: number,
  reason: Reason,
  message: string,
  now: Date,
  status: ConditionStatus = 'False',
): GroupStatus {
  return {
    observedGeneration: generation,
    conditions: setCondition(
      current?.conditions,
      { type: ConditionType.Ready, status, reason, message, observedGeneration: generation },
      now,
    ),
  };
}

/** Whether two statuses say the same thing (timestamps of unchanged conditions aside). */
export function statusEqual(a: GroupStatus | undefined, b: GroupStatus): boolean {
  if ((a?.observedGeneration ?? undefined) !== b.observedGeneration) return false;
  if ((a?.poolSize ?? undefined) !== b.poolSize) return false;
  if ((a?.configMapName ?? undefined) !== b.configMapName) return false;
  const ac = a?.conditions ?? [];
  const bc = b.conditions ?? [];
  if (ac.length !== bc.length) return false;
  return bc.every((c) => {
    const o = ac.find((x) => x.type === c.type);
    return (
      o !== undefined &&
      o.status === c.status &&
      o.reason === c.reason &&
      o.message === c.message &&
      o.observedGeneration === c.observedGeneration &&
      o.lastTransitionTime === c.lastTransitionTime
    );
  });
}
