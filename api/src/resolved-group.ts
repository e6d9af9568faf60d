/**
 * The canonical, normalised form of a ClickToCallInGroup: defaults applied, the pool merged from
 * `spec.dnisPool` and `spec.dnisPoolFrom`, every number in `+E.164` form. The operator publishes it in a
 * ConfigMap (see group-config.ts); the allocator reads it back.
 */
export interface ResolvedGroup {
  groupName: string;
  accessCode: { generate: boolean; length: number };
  expirySeconds: number;
  uniqueDnis: boolean;
  /** Absent when off: no number is picked by where the caller is. */
  localPresence?: LocalPresence;
  /** Seconds a number rests after a request on it ends before it is handed out again; 0 = off. */
  coolDownSeconds: number;
  /** How automatic selection picks among the free numbers. */
  selection: Selection;
  dnisPool: DnisEntry[];
}

/** How automatic selection picks a number (see docs/allocator.md, Pool policies). */
export interface Selection {
  /** random: from a random start; leastRecentlyUsed: the number handed out longest ago; roundRobin: the next one after the last. */
  strategy: SelectionStrategy;
  /** A caller who asks again within this many seconds gets the number they had last, if it is free; 0 = off. */
  stickySeconds: number;
}

export type SelectionStrategy = 'random' | 'leastRecentlyUsed' | 'roundRobin';

/** How strictly a caller is handed a number near them, and how near (see docs/allocator.md). */
export interface LocalPresence {
  match: 'prefer' | 'require';
  level: 'area' | 'country';
}

export interface DnisEntry {
  /** `+` followed by digits, normalised (e.g. `+18005555555`). */
  number: string;
  description?: string;
  /** Present (true) only on a reserved number: automatic selection never hands it out. */
  reserved?: true;
}

/** Labels, annotations and keys of the group ConfigMap, the contract between operator and allocator. */
export const GroupConfigMap = {
  /** Label on every group ConfigMap; the allocator watches by this selector. */
  roleLabel: 'clicktocall.dev/role',
  roleValue: 'group-config',
  groupNameAnnotation: 'clicktocall.dev/group-name',
  contentHashAnnotation: 'clicktocall.dev/content-hash',
  settingsKey: 'group.json',
  poolKey: 'pool.csv',
  nameSuffix: '-click-to-call-in',
} as const;

/** The label selector of every group ConfigMap: what the operator and the allocator watch. */
export const GROUP_CONFIG_SELECTOR = `${GroupConfigMap.roleLabel}=${GroupConfigMap.roleValue}`;
