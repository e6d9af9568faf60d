import type { DeprecatedName, SettingDefinition, SettingDefinitions, SettingValues } from './definition.ts';
import { parseValue, unitName } from './parse-value.ts';
import { usageText, type ProgramText } from './usage.ts';

/**
 * What a program gets from its command line and environment. The loader never exits or prints:
 * `main.ts` writes the help text or the errors and picks the exit code.
 */
export type SettingsOutcome<Values> =
  | { outcome: 'loaded'; settings: Values; warnings: string[] }
  | { outcome: 'help'; text: string }
  | { outcome: 'invalid'; errors: string[] };

type Environment = Readonly<Record<string, string | undefined>>;

/** One name a value can be given under, current or deprecated. */
interface Name {
  key: string;
  definition: SettingDefinition;
  deprecated?: DeprecatedName;
}

/** A value as given: where from (`--port`, `C2C_PORT`) and its text. */
interface Given {
  source: string;
  text: string;
  /** Precedence, lowest first: a current flag, a deprecated flag, a current variable, a deprecated one. */
  rank: 0 | 1 | 2 | 3;
  deprecated?: DeprecatedName;
}

/**
 * Reads every setting: a flag wins over its environment variable, which wins over the default; a
 * current name wins over a deprecated one. An empty value counts as not given. `--help` (or `-h`)
 * anywhere asks for the usage text instead.
 */
export function loadSettings<const Defs extends SettingDefinitions>(
  definitions: Defs,
  argv: readonly string[],
  env: Environment,
  program: ProgramText,
): SettingsOutcome<SettingValues<Defs>> {
  const flags = flagIndex(definitions);
  if (argv.some((arg) => arg === '--help' || arg === '-h'))
    return { outcome: 'help', text: usageText(definitions, program) };

  const errors: string[] = [];
  const fromFlags = readArgv(argv, flags, errors);
  const warnings: string[] = [];
  const settings: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(definitions)) {
    const candidates = [...(fromFlags.get(key) ?? []), ...fromEnv(definition, env)];
    const chosen = pick(definition, candidates);
    for (const g of candidates.filter((c) => c.deprecated))
      warnings.push(deprecationWarning(definition, g, chosen[0]));
    if (chosen.length === 0) {
      settings[key] = definition.default;
      continue;
    }
    const values: unknown[] = [];
    for (const g of chosen) {
      const parsed = parseValue(definition, g.text, g.deprecated?.unit);
      if (parsed.ok) values.push(parsed.value);
      else errors.push(`${settingName(definition)}: ${g.source}=${JSON.stringify(g.text)} is ${parsed.rule}`);
    }
    settings[key] = definition.kind === 'list' ? values.flat() : values.at(-1);
  }
  if (errors.length > 0) return { outcome: 'invalid', errors };
  return { outcome: 'loaded', settings: settings as SettingValues<Defs>, warnings: [...new Set(warnings)] };
}

/** `--port / C2C_PORT`: how an error names the setting, whichever name the bad value came under. */
export function settingName(definition: SettingDefinition): string {
  return definition.env ? `--${definition.flag} / ${definition.env}` : `--${definition.flag}`;
}

/** The values that decide: the last one of the best rank, or every one of them for a list. */
function pick(definition: SettingDefinition, candidates: Given[]): Given[] {
  const best = Math.min(...candidates.map((c) => c.rank));
  const top = candidates.filter((c) => c.rank === best);
  return definition.kind === 'list' ? top : top.slice(-1);
}

function fromEnv(definition: SettingDefinition, env: Environment): Given[] {
  const names: Array<{ env: string; deprecated?: DeprecatedName }> = [];
  if (definition.env) names.push({ env: definition.env });
  for (const d of definition.deprecatedNames ?? []) if (d.env) names.push({ env: d.env, deprecated: d });
  return names.flatMap(({ env: name, deprecated }) => {
    const text = env[name];
    return text
      ? [{ source: name, text, rank: deprecated ? 3 : 2, ...(deprecated ? { deprecated } : {}) } as const]
      : [];
  });
}

function flagIndex(definitions: SettingDefinitions): Map<string, Name> {
  const index = new Map<string, Name>();
  const add = (flag: string, name: Name) => {
    if (index.has(flag) || flag === 'help') throw new Error(`setting flag --${flag} is defined twice`);
    index.set(flag, name);
  };
  for (const [key, definition] of Object.entries(definitions)) {
    add(definition.flag, { key, definition });
    for (const deprecated of definition.deprecatedNames ?? [])
      if (deprecated.flag) add(deprecated.flag, { key, definition, deprecated });
  }
  return index;
}

/** `--name value`, `--name=value`; booleans `--name`, `--name=<bool>`, `--no-name`. */
function readArgv(argv: readonly string[], flags: Map<string, Name>, errors: string[]): Map<string, Given[]> {
  const given = new Map<string, Given[]>();
  const add = (name: Name, source: string, text: string) => {
    if (text === '') return;
    const list = given.get(name.key) ?? [];
    list.push({
      source,
      text,
      rank: name.deprecated ? 1 : 0,
      ...(name.deprecated ? { deprecated: name.deprecated } : {}),
    });
    given.set(name.key, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--') || arg === '--') {
      errors.push(
        `unexpected argument ${JSON.stringify(arg)}: settings are flags, --name value or --name=value`,
      );
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const name = flags.get(flag);
    const negated = !name && flag.startsWith('no-') ? flags.get(flag.slice(3)) : undefined;
    if (negated?.definition.kind === 'boolean') {
      if (inline !== undefined) errors.push(`--${flag} takes no value (write --${flag.slice(3)}=${inline})`);
      else add(negated, `--${flag}`, 'false');
    } else if (!name) {
      errors.push(unknownFlag(flag, flags));
      // Its value, most likely: one error is enough.
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('-')) i++;
    } else if (name.definition.kind === 'boolean') {
      add(name, `--${flag}`, inline ?? 'true');
    } else if (inline !== undefined) {
      add(name, `--${flag}`, inline);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) {
        errors.push(`--${flag} needs a value (for one that starts with a dash, write --${flag}=<value>)`);
      } else {
        add(name, `--${flag}`, next);
        i++;
      }
    }
  }
  return given;
}

function unknownFlag(flag: string, flags: Map<string, Name>): string {
  const negated = flag.startsWith('no-') ? flags.get(flag.slice(3)) : undefined;
  if (negated) return `unknown flag --${flag} (--${negated.definition.flag} is not a boolean)`;
  const near = [...flags.keys()]
    .map((known) => ({ known, distance: editDistance(flag, known) }))
    .filter((c) => c.distance <= Math.max(1, Math.floor(flag.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  return `unknown flag --${flag}${near ? ` (did you mean --${near.known}?)` : ''}`;
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  return at(a.length, b.length);
}

function deprecationWarning(definition: SettingDefinition, given: Given, chosen: Given | undefined): string {
  if (chosen && chosen.rank !== given.rank)
    return `${given.source} is deprecated, and ignored here since ${chosen.source} is given`;
  const current = given.source.startsWith('--')
    ? `--${definition.flag}`
    : (definition.env ?? `--${definition.flag}`);
  const otherUnit =
    definition.kind === 'duration' && given.deprecated?.unit && given.deprecated.unit !== definition.unit;
  return `${given.source} is deprecated: use ${current}${otherUnit ? ` (in ${unitName(definition.unit)})` : ''}`;
}
