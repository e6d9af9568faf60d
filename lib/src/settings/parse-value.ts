import type { DurationUnit, SettingDefinition } from './definition.ts';

/** A parsed value, or the rule the text broke, worded to follow "… is": `not a boolean: …`. */
export type ParsedValue = { ok: true; value: unknown } | { ok: false; rule: string };

/** The only spellings of a boolean: anything else (`yes`, `on`, `TRUE`) is refused, never read as false. */
export const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  1: true,
  0: false,
};

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const DURATION = /^(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)?$/;
const MS_PER: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses one setting's text strictly. `bareUnit` is the unit of a duration given without one (a
 * deprecated name may count in another unit than the setting).
 */
export function parseValue(
  definition: SettingDefinition,
  text: string,
  bareUnit?: DurationUnit,
): ParsedValue {
  switch (definition.kind) {
    case 'string':
      return { ok: true, value: text };
    case 'boolean': {
      const value = BOOLEAN_TEXT[text];
      return value === undefined
        ? { ok: false, rule: 'not a boolean: write true, false, 1 or 0' }
        : { ok: true, value };
    }
    case 'integer': {
      const n = INTEGER.test(text) ? Number(text) : NaN;
      return inRange(n, definition, 'an integer', Number.isSafeInteger(n));
    }
    case 'number': {
      const n = DECIMAL.test(text) ? Number(text) : NaN;
      return inRange(n, definition, 'a number', Number.isFinite(n));
    }
    case 'duration': {
      const match = DURATION.exec(text);
      const ms = match ? Number(match[1]) * (MS_PER[match[2] ?? bareUnit ?? definition.unit] ?? NaN) : NaN;
      const n = Number((ms / (MS_PER[definition.unit] ?? NaN)).toPrecision(12));
      const what = `a duration in ${unitName(definition.unit)} (or with a unit: 500ms, 30s, 5m, 1h)`;
      return inRange(n, definition, what, Number.isFinite(n), ` ${definition.unit}`);
    }
    case 'enum':
      return definition.choices.includes(text)
        ? { ok: true, value: text }
        : { ok: false, rule: `not one of ${definition.choices.join(', ')}` };
    case 'list':
      return { ok: true, value: splitList(text) };
  }
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function inRange(
  n: number,
  range: { min?: number; max?: number },
  what: string,
  wellFormed: boolean,
  unit = '',
): ParsedValue {
  const rule = `not ${what} ${rangeText(range, unit)}`;
  if (!wellFormed) return { ok: false, rule };
  const { min = 0, max = Infinity } = range;
  return n < min || n > max ? { ok: false, rule } : { ok: true, value: n };
}

/** `from 1 to 65535`, `≥ 0`. */
export function rangeText({ min = 0, max = Infinity }: { min?: number; max?: number }, unit = ''): string {
  return max === Infinity ? `≥ ${min}${unit}` : `from ${min}${unit} to ${max}${unit}`;
}

export function unitName(unit: DurationUnit): string {
  return unit === 's' ? 'seconds' : 'milliseconds';
}
