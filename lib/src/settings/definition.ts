/**
 * Declarative settings: each one is a flag (`--<flag>`), usually an environment variable, a kind that
 * says how its text is parsed, an optional default, and a description for the usage text.
 */

/** The unit of a duration's value, and of a bare number given for it. */
export type DurationUnit = 'ms' | 's';

/** An older name of a setting: still read, with a deprecation warning naming the current one. */
export interface DeprecatedName {
  flag?: string;
  env?: string;
  /** Durations only: the unit of a bare number given under this name, when it differs. */
  unit?: DurationUnit;
}

interface Common {
  /** Without the leading `--`. */
  flag: string;
  /** Read when the flag is not given. */
  env?: string;
  description: string;
  deprecatedNames?: readonly DeprecatedName[];
}

/** Numbers outside `min`..`max` are refused; `min` is 0 unless given. */
interface Range {
  min?: number;
  max?: number;
}

export interface StringSetting extends Common {
  kind: 'string';
  default?: string;
}
export interface IntegerSetting extends Common, Range {
  kind: 'integer';
  default?: number;
}
export interface NumberSetting extends Common, Range {
  kind: 'number';
  default?: number;
}
export interface BooleanSetting extends Common {
  kind: 'boolean';
  default: boolean;
}
export interface EnumSetting<Choice extends string = string> extends Common {
  kind: 'enum';
  choices: readonly Choice[];
  default?: Choice;
}
/** A number in `unit` (`30`), or with its own unit: `500ms`, `30s`, `5m`, `1h`. The value is in `unit`. */
export interface DurationSetting extends Common, Range {
  kind: 'duration';
  unit: DurationUnit;
  default?: number;
}
/** Comma-separated; a repeated flag adds to the list. Empty items are dropped. */
export interface ListSetting extends Common {
  kind: 'list';
  default?: readonly string[];
}

export type SettingDefinition =
  | StringSetting
  | IntegerSetting
  | NumberSetting
  | BooleanSetting
  | EnumSetting
  | DurationSetting
  | ListSetting;

export type SettingKind = SettingDefinition['kind'];

export type SettingDefinitions = Record<string, SettingDefinition>;

type Parsed<D> = D extends { kind: 'string' }
  ? string
  : D extends { kind: 'integer' | 'number' | 'duration' }
    ? number
    : D extends { kind: 'boolean' }
      ? boolean
      : D extends { kind: 'enum'; choices: readonly (infer Choice)[] }
        ? Choice
        : D extends { kind: 'list' }
          ? string[]
          : never;

/** The type a setting's value has: `undefined` is possible only without a default. */
export type SettingValue<D> = D extends { default: string | number | boolean | readonly string[] }
  ? Parsed<D>
  : Parsed<D> | undefined;

export type SettingValues<Defs extends SettingDefinitions> = { [K in keyof Defs]: SettingValue<Defs[K]> };

type Options<D extends SettingDefinition> = Omit<D, 'kind'>;

/** Builders that keep each definition's literal types (choices, whether a default is given). */
export const setting = {
  string: <const O extends Options<StringSetting>>(o: O) => ({ kind: 'string' as const, ...o }),
  integer: <const O extends Options<IntegerSetting>>(o: O) => ({ kind: 'integer' as const, ...o }),
  number: <const O extends Options<NumberSetting>>(o: O) => ({ kind: 'number' as const, ...o }),
  boolean: <const O extends Options<BooleanSetting>>(o: O) => ({ kind: 'boolean' as const, ...o }),
  enum: <const Choice extends string, const O extends Options<EnumSetting<Choice>>>(
    o: O & { choices: readonly Choice[] },
  ) => ({ kind: 'enum' as const, ...o }),
  duration: <const O extends Options<DurationSetting>>(o: O) => ({ kind: 'duration' as const, ...o }),
  list: <const O extends Options<ListSetting>>(o: O) => ({ kind: 'list' as const, ...o }),
};
