import type { SettingDefinition, SettingDefinitions } from './definition.ts';
import { rangeText, unitName } from './parse-value.ts';

/** What `--help` says before the settings. */
export interface ProgramText {
  /** `node allocator/src/main.ts [flags]` */
  usage: string;
  /** A line or two on what the program is. */
  summary: string;
}

const RULES = `Each setting is a flag and, where shown, an environment variable: the flag wins over the variable,
which wins over the default; an empty value counts as not given. Booleans are --x, --no-x or
--x=<true|false|1|0>, and a variable takes true, false, 1 or 0 (nothing else). Durations take a unit
(500ms, 30s, 5m, 1h) or count in the unit of their name. Deprecated names still work, with a warning.`;

/** The `--help` text, generated from the definitions. */
export function usageText(definitions: SettingDefinitions, program: ProgramText): string {
  const rows = Object.values(definitions).map((d) => ({ left: `  ${flagText(d)}`, d }));
  const width = Math.min(44, Math.max(...rows.map((r) => r.left.length)) + 2);
  const lines = rows.map(({ left, d }) => {
    const notes = [d.env, defaultText(d), constraintText(d)].filter(Boolean).join('; ');
    const head = left.length + 1 > width ? `${left}\n${' '.repeat(width)}` : left.padEnd(width);
    const deprecated = (d.deprecatedNames ?? [])
      .map(
        (n) =>
          [n.flag && `--${n.flag}`, n.env].filter(Boolean).join(', ') +
          (n.unit ? ` (${unitName(n.unit)})` : ''),
      )
      .join(', ');
    return `${head}${d.description}${notes ? ` [${notes}]` : ''}${deprecated ? `\n${' '.repeat(width)}deprecated: ${deprecated}` : ''}`;
  });
  return `usage: ${program.usage}\n\n${program.summary}\n\n${RULES}\n\n${lines.join('\n')}\n`;
}

function flagText(d: SettingDefinition): string {
  switch (d.kind) {
    case 'boolean':
      return `--[no-]${d.flag}`;
    case 'enum':
      return `--${d.flag} <${d.choices.join('|')}>`;
    case 'duration':
      return `--${d.flag} <${d.unit === 's' ? 'seconds' : 'ms'}>`;
    case 'integer':
    case 'number':
      return `--${d.flag} <n>`;
    case 'list':
      return `--${d.flag} <a,b,…>`;
    case 'string':
      return `--${d.flag} <text>`;
  }
}

function defaultText(d: SettingDefinition): string {
  if (d.default === undefined || d.default === '') return '';
  if (Array.isArray(d.default)) return d.default.length ? `default ${d.default.join(',')}` : '';
  return `default ${String(d.default)}${d.kind === 'duration' ? d.unit : ''}`;
}

function constraintText(d: SettingDefinition): string {
  if (d.kind !== 'integer' && d.kind !== 'number' && d.kind !== 'duration') return '';
  if ((d.min ?? 0) === 0 && d.max === undefined) return '';
  return rangeText(d, d.kind === 'duration' ? d.unit : '');
}
