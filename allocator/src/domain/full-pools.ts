/** What is remembered of a pool found full. */
interface FoundFull<G> {
  /** The group as it was then (its settings): a reload that changed the group is not known full. */
  group: G;
  /** The count of frees when the walk began (see `LiveView.freedCount`). */
  frees: number;
  /** When the first busy number frees with time alone. */
  untilMs: number;
  /** What the refusal told the client (the group's next expiry), if anything. */
  nextExpiryAtMs: number | undefined;
}

/**
 * Groups whose every number automatic selection may hand out was found busy, remembered for as long
 * as nothing that could free one has happened: no request or cooling key has left a number of the
 * group since the walk began (the count of frees is unchanged), and none of the busy numbers has
 * reached the end of its busy time. A create on such a group is refused without walking the whole
 * pool again: on a full pool of 10,000 numbers each walk costs milliseconds, and a burst of creates
 * would otherwise walk it once each.
 */
export class FullPools<G> {
  readonly #found = new Map<string, FoundFull<G>>();

  /**
   * The pool of `groupName` was found full by a walk that began when the count of frees stood at
   * `frees`; its first busy number frees at `untilMs` (undefined: none is known to, so nothing is
   * remembered).
   */
  remember(
    groupName: string,
    found: { group: G; frees: number; untilMs: number | undefined; nextExpiryAtMs: number | undefined },
    nowMs: number,
  ): void {
    const { group, frees, untilMs, nextExpiryAtMs } = found;
    // Those whose time has come go (a group removed since is never asked about again).
    for (const [name, f] of this.#found) if (f.untilMs <= nowMs) this.#found.delete(name);
    if (untilMs === undefined) this.#found.delete(groupName);
    else this.#found.set(groupName, { group, frees, untilMs, nextExpiryAtMs });
  }

  /** How many pools are remembered full. */
  get size(): number {
    return this.#found.size;
  }

  /**
   * Whether the pool is still known full: found full for this very group, with no free since and
   * before the first busy number frees. Returns what the refusal told the client then, or undefined.
   */
  stillFull(
    groupName: string,
    group: G,
    frees: number,
    nowMs: number,
  ): { nextExpiryAtMs: number | undefined } | undefined {
    const found = this.#found.get(groupName);
    if (!found) return undefined;
    if (found.group !== group || found.frees !== frees || nowMs >= found.untilMs) {
      this.#found.delete(groupName);
      return undefined;
    }
    return { nextExpiryAtMs: found.nextExpiryAtMs };
  }
}
