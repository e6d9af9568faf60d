/**
 * The group validator shared by the webhook, the operator and the CLI: the generated ajv validator
 * for types, ranges and lengths, then the rules a schema cannot say (real phone numbers, duplicates by
 * normalised form, group-name uniqueness and immutability), then warnings. All issues at once.
 */
import type { ErrorObject } from 'ajv';
import { validate as validateSchema } from '../generated/validate-spec.js';
import { Limits, Rule, charCount, formatCount, show, type Issue } from './issues.ts';
import { checkDnis, checkDnisFormat, normalizeDnis } from './dnis-checks.ts';
import { groupNameOf } from './group-name.ts';

export interface ValidateOptions {
  /** Names of the other groups (for uniqueness); this group's own name must not be in it. */
  otherGroupNames?: ReadonlySet<string>;
  /** The spec before this change (UPDATE): groupName must stay, unchanged numbers are not re-checked. */
  previousSpec?: unknown;
  /** metadata.name, the default of groupName. */
  metadataName?: string;
}

export interface ValidationResult {
  errors: Issue[];
  warnings: Issue[];
}

/** Above this many bytes of JSON the spec no longer fits client-side apply's 256 KiB annotation. */
export const CLIENT_APPLY_SAFE_BYTES = 200 * 1024;
/** With uniqueDnis, fewer numbers than this caps concurrency so low that it is probably a mistake. */
export const SMALL_UNIQUE_POOL = 10;

const SPEC_FIELDS = ['groupName', 'dnisPool', 'dnisPoolFrom', 'accessCode', 'expirySeconds', 'uniqueDnis'];
const FIELDS_BY_PARENT: Record<string, string[]> = {
  spec: SPEC_FIELDS,
  entry: ['number', 'description'],
  'spec.dnisPoolFrom': ['configMapKeyRef'],
  'spec.dnisPoolFrom.configMapKeyRef': ['name', 'key'],
  'spec.accessCode': ['generate', 'length'],
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

function describeType(value: unknown): string {
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

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function previousNumbers(previousSpec: unknown): Set<string> {
  const out = new Set<string>();
  if (!isObject(previousSpec) || !Array.isArray(previousSpec.dnisPool)) return out;
  for (const entry of previousSpec.dnisPool) {
    if (isObject(entry) && typeof entry.number === 'string') out.add(entry.number);
  }
  return out;
}

/**
 * Validates a group spec (the `spec` of a ClickToCallInGroup). Errors make the group unusable;
 * warnings point at legal settings that are probably not what was meant.
 */
export function validateGroupSpec(spec: unknown, options: ValidateOptions = {}): ValidationResult {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  if (!isObject(spec)) {
    errors.push({
      path: 'spec',
      rule: Rule.SchemaType,
      value: spec,
      message: `spec must be a mapping of fields, but is ${describeType(spec)}`,
    });
    return { errors, warnings };
  }
  if (!validateSchema(spec)) {
    const seen = new Set<string>();
    const typeErrorPaths = new Set(
      (validateSchema.errors ?? []).filter((e) => e.keyword === 'type').map((e) => e.instancePath),
    );
    for (const err of validateSchema.errors ?? []) {
      if (err.keyword !== 'type' && typeErrorPaths.has(err.instancePath)) continue;
      const issue = schemaIssue(err, spec);
      const key = `${issue.path}\u0000${issue.rule}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(issue);
    }
  }
  const badPaths = new Set(errors.map((e) => e.path));

  if (spec.dnisPool === undefined && spec.dnisPoolFrom === undefined) {
    errors.push({
      path: 'spec.dnisPool',
      rule: Rule.PoolSize,
      message:
        'the group has no numbers: set spec.dnisPool (a list of numbers) or spec.dnisPoolFrom (a CSV in a ConfigMap)',
    });
  }

  // Real numbers and duplicates (by normalised form); numbers unchanged since previousSpec are not re-checked.
  const pool = Array.isArray(spec.dnisPool) ? spec.dnisPool : [];
  const unchanged = previousNumbers(options.previousSpec);
  const firstIndex = new Map<string, number>();
  pool.forEach((entry: unknown, i: number) => {
    const path = `spec.dnisPool[${i}].number`;
    if (!isObject(entry) || typeof entry.number !== 'string' || badPaths.has(path)) return;
    const number = entry.number;
    if (!unchanged.has(number)) {
      const problem = checkDnis(number);
      if (problem) {
        errors.push({ path, rule: problem.rule, value: number, message: problem.message });
        return;
      }
    }
    const normal = normalizeDnis(number);
    const first = firstIndex.get(normal);
    if (first === undefined) {
      firstIndex.set(normal, i);
    } else {
      const firstNumber = (pool[first] as { number: string }).number;
      errors.push({
        path,
        rule: Rule.DnisDuplicate,
        value: number,
        message: `number ${show(number)} is already in the pool at spec.dnisPool[${first}]${firstNumber === number ? '' : ` (as ${show(firstNumber)})`}; each number may appear once`,
      });
    }
    if (typeof entry.description === 'string' && entry.description !== entry.description.trim()) {
      warnings.push({
        path: `spec.dnisPool[${i}].description`,
        rule: Rule.DescriptionWhitespace,
        value: entry.description,
        message: `description ${show(entry.description)} starts or ends with spaces`,
      });
    }
  });

  // Group name: unique among groups, and fixed once created.
  const groupName = groupNameOf(spec, options.metadataName);
  if (groupName !== undefined && options.otherGroupNames?.has(groupName)) {
    errors.push({
      path: 'spec.groupName',
      rule: Rule.GroupNameTaken,
      value: groupName,
      message: `groupName ${show(groupName)} is already used by another group; group names must be unique`,
    });
  }
  if (isObject(options.previousSpec)) {
    const before = groupNameOf(options.previousSpec, options.metadataName);
    if (before !== groupName) {
      errors.push({
        path: 'spec.groupName',
        rule: Rule.GroupNameImmutable,
        value: groupName,
        message: `groupName cannot be changed after creation (it was ${show(before)}, now ${show(groupName)}); create a new group instead`,
      });
    }
  }

  // Warnings.
  const accessCode = isObject(spec.accessCode) ? spec.accessCode : {};
  const generate = accessCode.generate !== false;
  const unique = spec.uniqueDnis === true;
  if (!generate && !unique) {
    warnings.push({
      path: 'spec.accessCode.generate',
      rule: Rule.CallerIdOnlyMatching,
      value: false,
      message:
        'access codes are off and uniqueDnis is false: two live requests on one number can then only be told apart by the caller number, which callers may withhold; turn on accessCode.generate or uniqueDnis',
    });
  }
  if (unique && spec.dnisPoolFrom === undefined && pool.length > 0 && pool.length < SMALL_UNIQUE_POOL) {
    warnings.push({
      path: 'spec.dnisPool',
      rule: Rule.SmallUniquePool,
      value: pool.length,
      message: `uniqueDnis is true with only ${pool.length} number${pool.length === 1 ? '' : 's'}: at most ${pool.length} call-in request${pool.length === 1 ? '' : 's'} can be live at once, and further requests fail until one expires`,
    });
  }
  if (pool.length > 0) {
    const bytes = JSON.stringify(spec.dnisPool).length;
    if (bytes > CLIENT_APPLY_SAFE_BYTES) {
      warnings.push({
        path: 'spec.dnisPool',
        rule: Rule.PoolTooBigForClientApply,
        value: bytes,
        message: `dnisPool is ${formatCount(Math.round(bytes / 1024))} KiB: client-side kubectl apply cannot store it (256 KiB annotation limit); move the pool to a CSV in a ConfigMap (spec.dnisPoolFrom, see c2c import) or use kubectl apply --server-side`,
      });
    }
  }
  return { errors, warnings };
}
