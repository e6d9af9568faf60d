/**
 * The group validator shared by the webhook, the operator and the CLI: the generated ajv validator
 * for types, ranges and lengths, then the rules a schema cannot say (real phone numbers, duplicates by
 * normalised form, group-name uniqueness and immutability), then warnings. All issues at once.
 */
import { validate as validateSchema } from '../generated/validate-spec.js';
import { checkDnis, normalizeDnis } from './dnis-checks.ts';
import { Defaults, Limits, Rule, formatCount, isWholeNumberIn, show, type Issue } from './issues.ts';
import { describeType, schemaIssues } from './schema-issues.ts';
import { groupNameOf } from './group-name.ts';
import { numberLocality } from './number-locality.ts';

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
/**
 * With uniqueDnis, a cool-down longer than the expiry over fewer numbers than this (not reserved) caps
 * the rate of requests so low that it is probably a mistake.
 */
export const COOL_DOWN_LONG_POOL = 100;

/**
 * The warnings about the size of a group's whole pool of `poolSize` numbers, `reserved` of them
 * reserved: ALL_NUMBERS_RESERVED when automatic selection has no number to hand out, and
 * SMALL_UNIQUE_POOL when a unique pool leaves it fewer than SMALL_UNIQUE_POOL numbers.
 */
export function poolSizeWarnings(
  uniqueDnis: unknown,
  poolSize: number,
  reserved: number,
  path: string,
): Issue[] {
  if (poolSize === 0) return [];
  const automatic = poolSize - reserved;
  if (automatic === 0) {
    return [
      {
        path,
        rule: Rule.AllNumbersReserved,
        value: poolSize,
        message: `every number of the pool (${formatCount(poolSize)}) is reserved: a call-in request that does not ask for a number always fails with POOL_EXHAUSTED; mark some numbers reserved: false`,
      },
    ];
  }
  if (uniqueDnis !== true || automatic >= SMALL_UNIQUE_POOL) return [];
  const plural = automatic === 1 ? '' : 's';
  const unreserved = reserved > 0 ? ` not reserved (and ${formatCount(reserved)} reserved)` : '';
  return [
    {
      path,
      rule: Rule.SmallUniquePool,
      value: automatic,
      message: `uniqueDnis is true with only ${automatic} number${plural}${unreserved}: at most ${automatic} call-in request${plural} can be live at once${reserved > 0 ? ' without asking for a number' : ''}, and further requests fail until one expires`,
    },
  ];
}

/**
 * LOCAL_PRESENCE_ONE_COUNTRY: local presence is required, and the numbers automatic selection may
 * hand out lie in at most one country, so callers from anywhere else always get NO_LOCAL_NUMBER.
 */
export function localPresenceWarnings(localPresence: unknown, pool: readonly unknown[]): Issue[] {
  if (!isObject(localPresence) || localPresence.match !== 'require') return [];
  const countries = new Set<string>();
  for (const entry of pool) {
    if (!isObject(entry) || typeof entry.number !== 'string' || entry.reserved === true) continue;
    const country = numberLocality(normalizeDnis(entry.number))?.country;
    if (country !== undefined) countries.add(country);
    if (countries.size > 1) return [];
  }
  const [only] = countries;
  return [
    {
      path: 'spec.localPresence.match',
      rule: Rule.LocalPresenceOneCountry,
      value: only ?? null,
      message:
        only === undefined
          ? 'localPresence.match is require, but no number of the pool that is not reserved is in a country (only non-geographic numbers): every request fails with NO_LOCAL_NUMBER'
          : `localPresence.match is require, and every number of the pool that is not reserved is in ${only}: callers from any other country always get NO_LOCAL_NUMBER; use match: prefer, or add numbers in the callers' countries`,
    },
  ];
}

/** A rate for a message: two significant digits (`0.2`, `0.00028`, `1.6`). */
function formatRate(rate: number): string {
  return String(Number(rate.toPrecision(2)));
}

/**
 * COOL_DOWN_LONG: a unique pool of fewer than COOL_DOWN_LONG_POOL numbers (of `poolSize`, `reserved` of
 * them reserved) whose numbers rest longer after a request than a request may live. Each number then
 * serves at most one request per coolDownSeconds plus the time to its call, so the pool sustains at
 * most about (numbers not reserved) / coolDownSeconds requests per second.
 */
export function coolDownWarnings(
  uniqueDnis: unknown,
  expirySeconds: unknown,
  coolDownSeconds: unknown,
  poolSize: number,
  reserved: number,
): Issue[] {
  if (uniqueDnis !== true) return [];
  const expiry = expirySeconds ?? Defaults.expirySeconds;
  if (!isWholeNumberIn(expiry, Limits.expirySecondsMin, Limits.expirySecondsMax)) return [];
  if (!isWholeNumberIn(coolDownSeconds, Limits.coolDownSecondsMin, Limits.coolDownSecondsMax)) return [];
  const automatic = poolSize - reserved;
  // No number to hand out at all is ALL_NUMBERS_RESERVED's warning.
  if (coolDownSeconds <= expiry || automatic <= 0 || automatic >= COOL_DOWN_LONG_POOL) return [];
  const rate = formatRate(automatic / coolDownSeconds);
  const plural = automatic === 1 ? '' : 's';
  const unreserved = reserved > 0 ? ` not reserved (and ${formatCount(reserved)} reserved)` : '';
  return [
    {
      path: 'spec.coolDownSeconds',
      rule: Rule.CoolDownLong,
      value: coolDownSeconds,
      message: `coolDownSeconds is ${coolDownSeconds}, longer than expirySeconds (${expiry}), and uniqueDnis is true with only ${automatic} number${plural}${unreserved}: each number then serves at most one request per ${coolDownSeconds} s plus the time to its call, so the pool sustains at most about ${rate} request${rate === '1' ? '' : 's'} per second even when every call is matched at once, and further requests fail with POOL_EXHAUSTED; shorten coolDownSeconds or add numbers`,
    },
  ];
}

/**
 * STICKY_WITHIN_COOL_DOWN: with uniqueDnis, a caller's last number rests for coolDownSeconds after
 * their request ends; a sticky window no longer than that ends before the number is free again, so
 * stickiness never hands it back. Needs no pool, so validateGroupSpec alone reports it.
 */
export function stickyWarnings(uniqueDnis: unknown, coolDownSeconds: unknown, selection: unknown): Issue[] {
  if (uniqueDnis !== true || !isObject(selection)) return [];
  const sticky = selection.stickySeconds;
  if (!isWholeNumberIn(sticky, Limits.stickySecondsMin, Limits.stickySecondsMax) || sticky === 0) return [];
  if (!isWholeNumberIn(coolDownSeconds, Limits.coolDownSecondsMin, Limits.coolDownSecondsMax)) return [];
  if (sticky > coolDownSeconds) return [];
  return [
    {
      path: 'spec.selection.stickySeconds',
      rule: Rule.StickyWithinCoolDown,
      value: sticky,
      message: `selection.stickySeconds is ${sticky}, not more than coolDownSeconds (${coolDownSeconds}), and uniqueDnis is true: a caller's last number rests for ${coolDownSeconds} s after their request ends, which covers the whole sticky window, so stickiness can never hand it back to them; set stickySeconds greater than coolDownSeconds`,
    },
  ];
}

/** How many entries of a pool list say `reserved: true`. */
export function reservedCount(pool: readonly unknown[]): number {
  let n = 0;
  for (const entry of pool) if (isObject(entry) && entry.reserved === true) n++;
  return n;
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
  if (!validateSchema(spec)) errors.push(...schemaIssues(validateSchema.errors ?? [], spec));
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
  // With dnisPoolFrom the pool's size is known only once its CSV is read: resolveGroup warns then.
  if (spec.dnisPoolFrom === undefined) {
    const reserved = reservedCount(pool);
    warnings.push(...poolSizeWarnings(spec.uniqueDnis, pool.length, reserved, 'spec.dnisPool'));
    warnings.push(...localPresenceWarnings(spec.localPresence, pool));
    warnings.push(
      ...coolDownWarnings(spec.uniqueDnis, spec.expirySeconds, spec.coolDownSeconds, pool.length, reserved),
    );
  }
  warnings.push(...stickyWarnings(spec.uniqueDnis, spec.coolDownSeconds, spec.selection));
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
