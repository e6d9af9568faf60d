/**
 * ResolvedGroup ⇄ ConfigMap data, the contract between operator and allocator. Settings go in
 * `group.json`, the pool in `pool.csv` (canonical `number,description` lines): a 10,000-number pool is
 * about 0.5 MB of CSV, half of what the same pool costs as JSON, well inside a ConfigMap's 1 MiB.
 */
import { AppError } from '#lib';
import { Defaults, Limits, SELECTION_STRATEGIES, isWholeNumberIn, orList } from './issues.ts';
import { formatDnisCsv, parseDnisCsv, poolEntryOf } from './dnis-csv.ts';
import { GroupConfigMap, type LocalPresence, type ResolvedGroup, type Selection } from './resolved-group.ts';

export const GroupConfigCode = { Invalid: 'GROUP_CONFIG_INVALID' } as const;
export type GroupConfigCode = (typeof GroupConfigCode)[keyof typeof GroupConfigCode];
export class GroupConfigError extends AppError<GroupConfigCode> {}

/** The settings of `group.json`; poolSize lets a reader notice a truncated pool. */
interface GroupSettings {
  groupName: string;
  accessCode: { generate: boolean; length: number };
  expirySeconds: number;
  uniqueDnis: boolean;
  /** Written only when on. */
  localPresence?: LocalPresence;
  /** Always written; absent in a ConfigMap written by an older operator, read as the default (0). */
  coolDownSeconds?: number;
  /** Always written; absent in a ConfigMap written by an older operator, read as the defaults. */
  selection?: Partial<Selection>;
  poolSize: number;
}

export function encodeGroupConfig(group: ResolvedGroup): Record<string, string> {
  const settings: GroupSettings = {
    groupName: group.groupName,
    accessCode: { generate: group.accessCode.generate, length: group.accessCode.length },
    expirySeconds: group.expirySeconds,
    uniqueDnis: group.uniqueDnis,
    ...(group.localPresence
      ? { localPresence: { match: group.localPresence.match, level: group.localPresence.level } }
      : {}),
    coolDownSeconds: group.coolDownSeconds,
    selection: { strategy: group.selection.strategy, stickySeconds: group.selection.stickySeconds },
    poolSize: group.dnisPool.length,
  };
  return {
    [GroupConfigMap.settingsKey]: `${JSON.stringify(settings, null, 2)}\n`,
    [GroupConfigMap.poolKey]: formatDnisCsv(group.dnisPool),
  };
}

function invalid(message: string, details?: Record<string, unknown>): GroupConfigError {
  return new GroupConfigError(
    GroupConfigCode.Invalid,
    `group ConfigMap: ${message}`,
    details ? { details } : {},
  );
}

/** Reads ConfigMap data back; throws GroupConfigError (code GROUP_CONFIG_INVALID) naming what is wrong. */
export function decodeGroupConfig(data: Record<string, string | undefined>): ResolvedGroup {
  const settingsText = data[GroupConfigMap.settingsKey];
  const poolText = data[GroupConfigMap.poolKey];
  if (settingsText === undefined) throw invalid(`key ${GroupConfigMap.settingsKey} is missing`);
  if (poolText === undefined) throw invalid(`key ${GroupConfigMap.poolKey} is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(settingsText);
  } catch (err) {
    throw new GroupConfigError(
      GroupConfigCode.Invalid,
      `group ConfigMap: ${GroupConfigMap.settingsKey} is not JSON`,
      { cause: err },
    );
  }
  if (parsed === null || typeof parsed !== 'object')
    throw invalid(`${GroupConfigMap.settingsKey} is not a JSON object`);
  const s = parsed as Partial<GroupSettings>;
  if (typeof s.groupName !== 'string' || s.groupName === '')
    throw invalid(`${GroupConfigMap.settingsKey}: groupName must be a non-empty string`);
  if (
    typeof s.accessCode !== 'object' ||
    s.accessCode === null ||
    typeof s.accessCode.generate !== 'boolean'
  ) {
    throw invalid(`${GroupConfigMap.settingsKey}: accessCode.generate must be true or false`);
  }
  if (!isWholeNumberIn(s.accessCode.length, Limits.accessCodeLengthMin, Limits.accessCodeLengthMax)) {
    throw invalid(
      `${GroupConfigMap.settingsKey}: accessCode.length must be a whole number from ${Limits.accessCodeLengthMin} to ${Limits.accessCodeLengthMax}`,
    );
  }
  if (!isWholeNumberIn(s.expirySeconds, Limits.expirySecondsMin, Limits.expirySecondsMax)) {
    throw invalid(
      `${GroupConfigMap.settingsKey}: expirySeconds must be a whole number from ${Limits.expirySecondsMin} to ${Limits.expirySecondsMax}`,
    );
  }
  if (typeof s.uniqueDnis !== 'boolean')
    throw invalid(`${GroupConfigMap.settingsKey}: uniqueDnis must be true or false`);
  const localPresence = s.localPresence;
  if (
    localPresence !== undefined &&
    (typeof localPresence !== 'object' ||
      localPresence === null ||
      !['prefer', 'require'].includes(localPresence.match) ||
      !['area', 'country'].includes(localPresence.level))
  ) {
    throw invalid(
      `${GroupConfigMap.settingsKey}: localPresence must be { match: prefer or require, level: area or country }`,
    );
  }
  const coolDownSeconds = s.coolDownSeconds === undefined ? Defaults.coolDownSeconds : s.coolDownSeconds;
  if (!isWholeNumberIn(coolDownSeconds, Limits.coolDownSecondsMin, Limits.coolDownSecondsMax)) {
    throw invalid(
      `${GroupConfigMap.settingsKey}: coolDownSeconds must be a whole number from ${Limits.coolDownSecondsMin} to ${Limits.coolDownSecondsMax}`,
    );
  }
  const selection = s.selection === undefined ? {} : s.selection;
  if (typeof selection !== 'object' || selection === null || Array.isArray(selection)) {
    throw invalid(`${GroupConfigMap.settingsKey}: selection must be an object { strategy, stickySeconds }`);
  }
  const strategy = selection.strategy === undefined ? Defaults.selectionStrategy : selection.strategy;
  if (!(SELECTION_STRATEGIES as readonly unknown[]).includes(strategy)) {
    throw invalid(
      `${GroupConfigMap.settingsKey}: selection.strategy must be ${orList(SELECTION_STRATEGIES)}`,
    );
  }
  const stickySeconds =
    selection.stickySeconds === undefined ? Defaults.stickySeconds : selection.stickySeconds;
  if (!isWholeNumberIn(stickySeconds, Limits.stickySecondsMin, Limits.stickySecondsMax)) {
    throw invalid(
      `${GroupConfigMap.settingsKey}: selection.stickySeconds must be a whole number from ${Limits.stickySecondsMin} to ${Limits.stickySecondsMax}`,
    );
  }
  const csv = parseDnisCsv(poolText, { source: GroupConfigMap.poolKey });
  const [first] = csv.errors;
  if (first) {
    throw invalid(
      `${first.path}: ${first.message}${csv.errors.length > 1 ? ` (and ${csv.errors.length - 1} more)` : ''}`,
      {
        path: first.path,
        rule: first.rule,
      },
    );
  }
  if (csv.entries.length === 0) throw invalid(`${GroupConfigMap.poolKey} holds no numbers`);
  if (s.poolSize !== undefined && s.poolSize !== csv.entries.length) {
    throw invalid(
      `${GroupConfigMap.poolKey} holds ${csv.entries.length} numbers but ${GroupConfigMap.settingsKey} says ${String(s.poolSize)}; the data is truncated or mixed up`,
    );
  }
  return {
    groupName: s.groupName,
    accessCode: { generate: s.accessCode.generate, length: s.accessCode.length },
    expirySeconds: s.expirySeconds,
    uniqueDnis: s.uniqueDnis,
    ...(localPresence ? { localPresence: { match: localPresence.match, level: localPresence.level } } : {}),
    coolDownSeconds,
    selection: { strategy, stickySeconds },
    dnisPool: csv.entries.map(poolEntryOf),
  };
}
