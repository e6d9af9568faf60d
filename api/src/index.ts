/** The ClickToCallInGroup API: types, validator, CSV pool, resolution and the ConfigMap contract. */
export type {
  ClickToCallInGroup,
  ClickToCallInGroupSpec,
  ClickToCallInGroupStatus,
  DnisPoolEntry,
  DnisPoolSource,
  AccessCodeSettings,
  LocalPresenceSettings,
  SelectionSettings,
  GroupCondition,
} from '../generated/types.ts';
export {
  type Issue,
  type RuleCode,
  Rule,
  Limits,
  Defaults,
  SELECTION_STRATEGIES,
  describeIssues,
  issueText,
} from './issues.ts';
export { groupNameOf } from './group-name.ts';
export type { GroupObject, ConfigMapObject } from './objects.ts';
export { validateGroupSpec, type ValidateOptions, type ValidationResult } from './validate.ts';
export {
  parseDnisCsv,
  formatDnisCsv,
  poolEntryOf,
  type CsvEntry,
  type CsvParseResult,
  type CsvParseOptions,
} from './dnis-csv.ts';
export { normalizeDnis, checkDnis, E164_PATTERN } from './dnis-checks.ts';
export { numberLocality, areaCodeOf, type NumberLocality } from './number-locality.ts';
export { resolveGroup, type ResolveOptions, type ResolveResult } from './resolve.ts';
export { encodeGroupConfig, decodeGroupConfig, GroupConfigError, GroupConfigCode } from './group-config.ts';
export {
  GroupConfigMap,
  GROUP_CONFIG_SELECTOR,
  type ResolvedGroup,
  type DnisEntry,
  type LocalPresence,
  type Selection,
  type SelectionStrategy,
} from './resolved-group.ts';

export const GROUP_API = {
  group: 'clicktocall.dev',
  version: 'v1alpha1',
  kind: 'ClickToCallInGroup',
  plural: 'clicktocallingroups',
} as const;
