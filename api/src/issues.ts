import type { SelectionStrategy } from './resolved-group.ts';

/** A problem found in a group, a CSV pool or a YAML file, with where it is and which rule it breaks. */
export interface Issue {
  /** Where: `spec.dnisPool[41].number` in a group, `pool.csv:12` in a CSV. */
  path: string;
  /** Plain words naming the field, the value and the rule, e.g. `description "…" is 35 characters long; …`. */
  message: string;
  /** Stable rule code (see docs/errors.md), one of {@link Rule}. */
  rule: string;
  value?: unknown;
  /** 1-based line, for CSV and YAML sources. */
  line?: number;
}

/** Rule codes of errors and warnings; each has a heading in docs/errors.md. */
export const Rule = {
  SchemaType: 'SCHEMA_TYPE',
  SchemaRequired: 'SCHEMA_REQUIRED',
  UnknownField: 'UNKNOWN_FIELD',
  GroupNameFormat: 'GROUP_NAME_FORMAT',
  GroupNameTaken: 'GROUP_NAME_TAKEN',
  GroupNameImmutable: 'GROUP_NAME_IMMUTABLE',
  PoolSize: 'DNIS_POOL_SIZE',
  PoolSource: 'DNIS_POOL_FROM',
  DnisFormat: 'DNIS_FORMAT',
  DnisCountryCode: 'DNIS_COUNTRY_CODE',
  DnisLength: 'DNIS_LENGTH',
  DnisDuplicate: 'DNIS_DUPLICATE',
  DescriptionLength: 'DNIS_DESCRIPTION_LENGTH',
  AccessCodeLength: 'ACCESS_CODE_LENGTH',
  ExpiryRange: 'EXPIRY_RANGE',
  LocalPresence: 'LOCAL_PRESENCE',
  CoolDownRange: 'COOL_DOWN_RANGE',
  Selection: 'SELECTION',
  CsvColumns: 'CSV_COLUMNS',
  CsvQuote: 'CSV_QUOTE',
  CsvReserved: 'CSV_RESERVED',
  YamlSyntax: 'YAML_SYNTAX',
  YamlExpansion: 'YAML_EXPANSION',
  InputTooLarge: 'INPUT_TOO_LARGE',
  InputNotUtf8: 'INPUT_NOT_UTF8',
  InputUnreadable: 'INPUT_UNREADABLE',
  NoGroup: 'NO_GROUP',
  FolderSkipped: 'FOLDER_SKIPPED',
  // Warnings: legal, but probably not what was meant.
  PoolTooBigForClientApply: 'POOL_TOO_BIG_FOR_CLIENT_APPLY',
  SmallUniquePool: 'SMALL_UNIQUE_POOL',
  CallerIdOnlyMatching: 'CALLER_ID_ONLY_MATCHING',
  DescriptionWhitespace: 'DESCRIPTION_WHITESPACE',
  AllNumbersReserved: 'ALL_NUMBERS_RESERVED',
  LocalPresenceOneCountry: 'LOCAL_PRESENCE_ONE_COUNTRY',
  CoolDownLong: 'COOL_DOWN_LONG',
  StickyWithinCoolDown: 'STICKY_WITHIN_COOL_DOWN',
} as const;
export type RuleCode = (typeof Rule)[keyof typeof Rule];

/** The domain limits of the administrator guide, in one place. */
export const Limits = {
  poolMin: 1,
  poolMax: 10_000,
  numberMaxChars: 16,
  descriptionMaxChars: 32,
  accessCodeLengthMin: 4,
  accessCodeLengthMax: 12,
  expirySecondsMin: 10,
  expirySecondsMax: 1800,
  coolDownSecondsMin: 0,
  coolDownSecondsMax: 3600,
  stickySecondsMin: 0,
  stickySecondsMax: 86_400,
  groupNameMaxChars: 64,
} as const;

export const Defaults = {
  accessCodeGenerate: true,
  accessCodeLength: 6,
  expirySeconds: 30,
  uniqueDnis: false,
  localPresenceLevel: 'area',
  coolDownSeconds: 0,
  selectionStrategy: 'random',
  stickySeconds: 0,
} as const;

/** The values of `spec.selection.strategy`, in the schema's order. */
export const SELECTION_STRATEGIES = [
  'random',
  'leastRecentlyUsed',
  'roundRobin',
] as const satisfies readonly SelectionStrategy[];

/** A whole number from `min` to `max`: a value within one of the {@link Limits}. */
export function isWholeNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Renders a value for a message: strings quoted, long values cut. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Length in characters as Kubernetes counts them (Unicode code points). */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** `a`, `a or b`, `a, b or c`: allowed values for a message. */
export function orList(values: readonly unknown[]): string {
  const words = values.map(String);
  return words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** One issue as a line of text: its message, prefixed with its path unless the message names it. */
export function issueText(issue: Pick<Issue, 'path' | 'message'>): string {
  return issue.message.includes(issue.path) ? issue.message : `${issue.path}: ${issue.message}`;
}

/** Issues for a condition message or an admission denial: at most `max`, `; `-separated, the rest counted. */
export function describeIssues(issues: readonly Pick<Issue, 'path' | 'message'>[], max = 20): string {
  const shown = issues.slice(0, max).map(issueText);
  if (issues.length > max) shown.push(`… and ${issues.length - max} more`);
  return shown.join('; ');
}
