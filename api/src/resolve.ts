/** Spec (+ the CSV behind dnisPoolFrom) → the canonical ResolvedGroup: defaults applied, pool merged and normalised. */
import { Defaults, Limits, Rule, formatCount, show, type Issue } from './issues.ts';
import { normalizeDnis } from './dnis-checks.ts';
import { parseDnisCsv, poolEntryOf } from './dnis-csv.ts';
import { groupNameOf } from './group-name.ts';
import {
  coolDownWarnings,
  localPresenceWarnings,
  poolSizeWarnings,
  validateGroupSpec,
  type ValidateOptions,
} from './validate.ts';
import type { DnisEntry, ResolvedGroup } from './resolved-group.ts';
import type { ClickToCallInGroupSpec } from '../generated/types.ts';

export interface ResolveOptions extends Omit<ValidateOptions, 'metadataName'> {
  /** metadata.name of the group resource: the default groupName. */
  metadataName: string;
  /** The CSV named by spec.dnisPoolFrom, read by the caller; `source` names it in issues (e.g. `my-pool/pool.csv`). */
  csvPool?: { text: string; source: string };
}

export interface ResolveResult {
  /** Present only when there are no errors. */
  group?: ResolvedGroup;
  errors: Issue[];
  warnings: Issue[];
}

export function resolveGroup(spec: unknown, options: ResolveOptions): ResolveResult {
  const { errors, warnings } = validateGroupSpec(spec, { ...options, metadataName: options.metadataName });
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return { errors, warnings };
  const s = spec as ClickToCallInGroupSpec;

  const pool: DnisEntry[] = [];
  const placeOf = new Map<string, string>();
  (Array.isArray(s.dnisPool) ? s.dnisPool : []).forEach((entry, i) => {
    if (typeof entry?.number !== 'string') return;
    const number = normalizeDnis(entry.number);
    if (placeOf.has(number)) return; // reported by validateGroupSpec
    placeOf.set(number, `spec.dnisPool[${i}]`);
    const resolved: DnisEntry = entry.description ? { number, description: entry.description } : { number };
    if (entry.reserved === true) resolved.reserved = true;
    pool.push(resolved);
  });
  const inlineCount = pool.length;

  if (s.dnisPoolFrom !== undefined && options.csvPool === undefined) {
    const ref = s.dnisPoolFrom.configMapKeyRef;
    errors.push({
      path: 'spec.dnisPoolFrom',
      rule: Rule.PoolSource,
      message: `spec.dnisPoolFrom names key ${show(ref?.key)} of ConfigMap ${show(ref?.name)}, but that CSV could not be read`,
    });
  }
  if (options.csvPool !== undefined) {
    const csv = parseDnisCsv(options.csvPool.text, { source: options.csvPool.source });
    errors.push(...csv.errors);
    for (const entry of csv.entries) {
      const other = placeOf.get(entry.number);
      if (other !== undefined) {
        errors.push({
          path: `${options.csvPool.source}:${entry.line}`,
          line: entry.line,
          rule: Rule.DnisDuplicate,
          value: entry.number,
          message: `line ${entry.line}: number ${show(entry.number)} is also in ${other}; each number may appear once in the group`,
        });
        continue;
      }
      placeOf.set(entry.number, `${options.csvPool.source}:${entry.line}`);
      pool.push(poolEntryOf(entry));
    }
    const csvCount = csv.entries.length;
    const csvOverLimit = csv.errors.some((e) => e.rule === Rule.PoolSize);
    if (pool.length > Limits.poolMax && !csvOverLimit) {
      errors.push({
        path: 'spec',
        rule: Rule.PoolSize,
        value: pool.length,
        message: `the group has ${formatCount(pool.length)} numbers (${formatCount(inlineCount)} in spec.dnisPool, ${formatCount(csvCount)} in ${options.csvPool.source}); a group holds at most ${formatCount(Limits.poolMax)}`,
      });
    }
    if (pool.length === 0 && csv.errors.length === 0) {
      errors.push({
        path: options.csvPool.source,
        rule: Rule.PoolSize,
        value: 0,
        message: `${options.csvPool.source} holds no numbers and spec.dnisPool is empty; a group needs at least 1 number`,
      });
    }
    const reserved = pool.filter((e) => e.reserved === true).length;
    warnings.push(...poolSizeWarnings(s.uniqueDnis, pool.length, reserved, 'spec'));
    warnings.push(...localPresenceWarnings(s.localPresence, pool));
    warnings.push(
      ...coolDownWarnings(s.uniqueDnis, s.expirySeconds, s.coolDownSeconds, pool.length, reserved),
    );
  }

  if (errors.length > 0) return { errors, warnings };
  return {
    group: {
      groupName: groupNameOf(s, options.metadataName),
      accessCode: {
        generate: s.accessCode?.generate ?? Defaults.accessCodeGenerate,
        length: s.accessCode?.length ?? Defaults.accessCodeLength,
      },
      expirySeconds: s.expirySeconds ?? Defaults.expirySeconds,
      uniqueDnis: s.uniqueDnis ?? Defaults.uniqueDnis,
      ...(s.localPresence !== undefined
        ? {
            localPresence: {
              match: s.localPresence.match,
              level: s.localPresence.level ?? Defaults.localPresenceLevel,
            },
          }
        : {}),
      coolDownSeconds: s.coolDownSeconds ?? Defaults.coolDownSeconds,
      selection: {
        strategy: s.selection?.strategy ?? Defaults.selectionStrategy,
        stickySeconds: s.selection?.stickySeconds ?? Defaults.stickySeconds,
      },
      dnisPool: pool,
    },
    errors,
    warnings,
  };
}
