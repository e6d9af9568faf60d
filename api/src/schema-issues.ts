/**
 * ajv's errors about a group spec → issues in plain words with a rule code: the field's path in
 * `spec.dnisPool[41].number` form, the bad value, the limit it breaks, and a "did you mean" for a
 * misspelt field. One issue per path and rule; a wrong type hides the other complaints at its path.
 */
import type { ErrorObject } from 'ajv';
import { checkDnisFormat } from './dnis-checks.ts';
import { Limits, Rule, charCount, formatCount, orList, show, type Issue } from './issues.ts';

const SPEC_FIELDS = [
  'groupName',
  'dnisPool',
  'dnisPoolFrom',
  'accessCode',
  'expirySeconds',
  'uniqueDnis',
  'localPresence',
  'coolDownSeconds',
  'selection',
];
const FIELDS_BY_PARENT: Record<string, string[]> = {
  spec: SPEC_FIELDS,
  entry: ['number', 'description', 'reserved'],
  'spec.dnisPoolFrom': ['configMapKeyRef'],
  'spec.dnisPoolFrom.configMapKeyRef': ['name', 'key'],
  'spec.accessCode': ['generate', 'length'],
  'spec.localPresence': ['match', 'level'],
  'spec.selection': ['strategy', 'stickySeconds'],
};

/** `/dnisPool/41/number` → `spec.dnisPool[41].number`. */
export function specPath(instancePath: string, base = 'spec'): string {
  let out = base;
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let value = root;
  for (const part of instancePath.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A value described for a message: `a list`, `the number 3`, `the text "x"`. */
export function describeType(value: unknown): string {
  if (value === null) return 'empty (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  return `the text ${show(value)}`;
}

const typeWords: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping of fields',
  array: 'a list',
};

/** Levenshtein distance, for "did you mean" hints on short field names. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next.push(
        Math.min(
          (row[j] ?? 0) + 1,
          (next[j - 1] ?? 0) + 1,
          (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
        ),
      );
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

function lastSegment(path: string): string {
  const match = /([A-Za-z]+)(\[\d+\])?$/.exec(path);
  return match?.[1] ?? path;
}

/** Turns one ajv error into an issue in plain words with a rule code. */
function schemaIssue(err: ErrorObject, spec: unknown): Issue {
  const path = specPath(err.instancePath);
  const value = valueAt(spec, err.instancePath);
  const field = lastSegment(path);
  const generic = /\[\d+\]/.test(path) ? path.replace(/^.*\[\d+\]\./, 'entry') : path;
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String((err.params as { additionalProperty: string }).additionalProperty);
      const known =
        FIELDS_BY_PARENT[generic === 'entry' ? 'entry' : path.replace(/\[\d+\]$/, '')] ??
        FIELDS_BY_PARENT[/\[\d+\]$/.test(path) ? 'entry' : path] ??
        [];
      const close = known.find(
        (k) => editDistance(k.toLowerCase(), name.toLowerCase().replaceAll(/[-_ ]/g, '')) <= 2,
      );
      return {
        path: `${path}.${name}`,
        rule: Rule.UnknownField,
        value: name,
        message: `${show(name)} is not a field here${close ? `; did you mean ${show(close)}?` : ''}${known.length > 0 ? ` (known fields: ${known.join(', ')})` : ''}`,
      };
    }
    case 'required': {
      const name = String((err.params as { missingProperty: string }).missingProperty);
      return {
        path: `${path}.${name}`,
        rule: Rule.SchemaRequired,
        message: `${name} is required but missing`,
      };
    }
    case 'type': {
      const want = String((err.params as { type: string }).type);
      const hint =
        want === 'string' && typeof value === 'number' ? `; put it in quotes, e.g. "${value}"` : '';
      return {
        path,
        rule: Rule.SchemaType,
        value,
        message: `${field} must be ${typeWords[want] ?? want}, but is ${describeType(value)}${hint}`,
      };
    }
  }
  if (/^spec\.dnisPool\[\d+\]\.number$/.test(path)) {
    const problem = checkDnisFormat(String(value));
    return {
      path,
      rule: Rule.DnisFormat,
      value,
      message: problem?.message ?? `number ${show(value)} is not an E.164 phone number`,
    };
  }
  if (/^spec\.dnisPool\[\d+\]\.description$/.test(path)) {
    return {
      path,
      rule: Rule.DescriptionLength,
      value,
      message: `description ${show(value)} is ${charCount(String(value))} characters long; at most ${Limits.descriptionMaxChars} are allowed`,
    };
  }
  if (path === 'spec.dnisPool') {
    const size = Array.isArray(value) ? value.length : 0;
    return {
      path,
      rule: Rule.PoolSize,
      value: size,
      message:
        size === 0
          ? 'dnisPool is empty; a group needs at least 1 number (or leave dnisPool out and use dnisPoolFrom)'
          : `dnisPool has ${formatCount(size)} numbers; a group holds at most ${formatCount(Limits.poolMax)}`,
    };
  }
  if (path === 'spec.accessCode.length') {
    return {
      path,
      rule: Rule.AccessCodeLength,
      value,
      message: `accessCode.length is ${show(value)}; it must be from ${Limits.accessCodeLengthMin} to ${Limits.accessCodeLengthMax} digits`,
    };
  }
  if (path === 'spec.expirySeconds') {
    return {
      path,
      rule: Rule.ExpiryRange,
      value,
      message: `expirySeconds is ${show(value)}; it must be from ${Limits.expirySecondsMin} to ${Limits.expirySecondsMax} seconds`,
    };
  }
  if (path === 'spec.groupName') {
    return {
      path,
      rule: Rule.GroupNameFormat,
      value,
      message: `groupName ${show(value)} is not allowed: use 1 to ${Limits.groupNameMaxChars} letters, digits or symbols, without spaces`,
    };
  }
  if (path === 'spec.localPresence.match' || path === 'spec.localPresence.level') {
    const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return {
      path,
      rule: Rule.LocalPresence,
      value,
      message: `localPresence.${field} is ${show(value)}; it must be ${allowed.map(String).join(' or ')}`,
    };
  }
  if (path === 'spec.coolDownSeconds') {
    return {
      path,
      rule: Rule.CoolDownRange,
      value,
      message: `coolDownSeconds is ${show(value)}; it must be from ${Limits.coolDownSecondsMin} to ${Limits.coolDownSecondsMax} seconds (0 turns the cool-down off)`,
    };
  }
  if (path === 'spec.selection.strategy') {
    const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return {
      path,
      rule: Rule.Selection,
      value,
      message: `selection.strategy is ${show(value)}; it must be ${orList(allowed)}`,
    };
  }
  if (path === 'spec.selection.stickySeconds') {
    return {
      path,
      rule: Rule.Selection,
      value,
      message: `selection.stickySeconds is ${show(value)}; it must be from ${Limits.stickySecondsMin} to ${Limits.stickySecondsMax} seconds (0 turns stickiness off)`,
    };
  }
  if (path.startsWith('spec.dnisPoolFrom')) {
    return {
      path,
      rule: Rule.PoolSource,
      value,
      message: `${field} ${show(value)} is not a valid ConfigMap ${field === 'key' ? 'key (letters, digits, -, _ and .)' : 'name (lower-case letters, digits, - and .)'}`,
    };
  }
  return {
    path,
    rule: Rule.SchemaType,
    value,
    message: `${field} ${show(value)} ${err.message ?? 'is not valid'}`,
  };
}

/** The issues of one failed schema validation of `spec`, in ajv's order. */
export function schemaIssues(errors: readonly ErrorObject[], spec: unknown): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const typeErrorPaths = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const err of errors) {
    if (err.keyword !== 'type' && typeErrorPaths.has(err.instancePath)) continue;
    const issue = schemaIssue(err, spec);
    const key = `${issue.path}\u0000${issue.rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}
