import type { DnisEntry, ResolvedGroup } from '#api';
import { indexPool, type PoolIndex } from '../domain/index.ts';

export interface RegisteredGroup {
  settings: ResolvedGroup;
  /** The pool, in order; allocation starts at a random index. */
  pool: readonly DnisEntry[];
  /** The pool as allocation reads it (the numbers automatic selection may use, numbers by value). */
  index: PoolIndex;
  /** Where it came from, e.g. `configmap:contact-centre/auto-insurance-click-to-call-in` or `file:examples/a.yaml`. */
  origin: string;
  /** Set while the group's source is invalid and this, its last valid version, is served on. */
  problem?: GroupProblem;
}

export interface GroupProblem {
  message: string;
  sinceMs: number;
}

export type RegistryChange = { type: 'added' | 'updated' | 'removed'; groupName: string };

/**
 * The groups this replica serves, from every source. Each source owns the origins it sets; a group
 * name defined by two origins is served from the first in sort order, and the conflict is reported.
 */
export class GroupRegistry {
  readonly #byOrigin = new Map<string, ResolvedGroup>();
  readonly #problems = new Map<string, GroupProblem>();
  #effective = new Map<string, RegisteredGroup>();
  #byNumber = new Map<string, string[]>();
  readonly #listeners = new Set<(changes: RegistryChange[], conflicts: string[]) => void>();

  get(groupName: string): RegisteredGroup | undefined {
    return this.#effective.get(groupName);
  }

  list(): RegisteredGroup[] {
    return [...this.#effective.values()].sort((a, b) =>
      a.settings.groupName.localeCompare(b.settings.groupName),
    );
  }

  /** Names of the groups whose pool holds this number. */
  withNumber(number: string): readonly string[] {
    return this.#byNumber.get(number) ?? [];
  }

  set(origin: string, group: ResolvedGroup): void {
    this.#byOrigin.set(origin, group);
    this.#recompute();
  }

  delete(origin: string): void {
    if (this.#byOrigin.delete(origin)) this.#recompute();
  }

  /**
   * Replaces every origin starting with `prefix` by `groups` (a source's full, fresh list); `problems`
   * marks those served as their last valid version.
   */
  replace(
    prefix: string,
    groups: ReadonlyMap<string, ResolvedGroup>,
    problems: ReadonlyMap<string, GroupProblem> = new Map(),
  ): void {
    for (const origin of [...this.#byOrigin.keys()])
      if (origin.startsWith(prefix)) this.#byOrigin.delete(origin);
    for (const origin of [...this.#problems.keys()])
      if (origin.startsWith(prefix)) this.#problems.delete(origin);
    for (const [origin, group] of groups) this.#byOrigin.set(origin, group);
    for (const [origin, problem] of problems) this.#problems.set(origin, problem);
    this.#recompute();
  }

  onChange(listener: (changes: RegistryChange[], conflicts: string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #recompute(): void {
    const next = new Map<string, RegisteredGroup>();
    const conflicts: string[] = [];
    for (const origin of [...this.#byOrigin.keys()].sort()) {
      const settings = this.#byOrigin.get(origin) as ResolvedGroup;
      const existing = next.get(settings.groupName);
      if (existing) {
        conflicts.push(
          `group ${JSON.stringify(settings.groupName)} is defined by ${existing.origin} and ${origin}; serving ${existing.origin}`,
        );
        continue;
      }
      const previous = this.#effective.get(settings.groupName);
      const problem = this.#problems.get(origin);
      // A reload that re-reads an unchanged group keeps the object the service already holds.
      const same =
        previous !== undefined && previous.origin === origin && sameSettings(previous.settings, settings);
      next.set(settings.groupName, {
        settings: same ? previous.settings : settings,
        pool: same ? previous.pool : settings.dnisPool,
        index: same ? previous.index : indexPool(settings.dnisPool, settings.localPresence),
        origin,
        ...(problem ? { problem } : {}),
      });
    }
    const changes: RegistryChange[] = [];
    for (const [name, g] of next) {
      const before = this.#effective.get(name);
      if (!before) changes.push({ type: 'added', groupName: name });
      else if (before.settings !== g.settings) changes.push({ type: 'updated', groupName: name });
    }
    for (const name of this.#effective.keys())
      if (!next.has(name)) changes.push({ type: 'removed', groupName: name });
    const byNumber = new Map<string, string[]>();
    for (const g of next.values()) {
      for (const e of g.pool) {
        const list = byNumber.get(e.number);
        if (list) list.push(g.settings.groupName);
        else byNumber.set(e.number, [g.settings.groupName]);
      }
    }
    this.#effective = next;
    this.#byNumber = byNumber;
    if (changes.length > 0 || conflicts.length > 0) for (const l of this.#listeners) l(changes, conflicts);
  }
}

function sameSettings(a: ResolvedGroup, b: ResolvedGroup): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
