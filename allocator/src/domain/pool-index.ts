import type { DnisEntry, LocalPresence } from '#api';
import { indexLocalities, type LocalityIndex } from './local-presence.ts';

/** A group's pool as allocation reads it, built once when the group is loaded. */
export interface PoolIndex {
  /** Every number, in pool order. */
  readonly all: readonly DnisEntry[];
  /** The numbers automatic selection may hand out (those not reserved), in pool order. */
  readonly automatic: readonly DnisEntry[];
  /** Every number of the pool, reserved or not, by its `+E.164` form. */
  readonly byNumber: ReadonlyMap<string, DnisEntry>;
  /** How many numbers are reserved. */
  readonly reservedCount: number;
  /** Where the numbers are, when the group hands callers a number near them. */
  readonly locality?: LocalityIndex;
}

export function indexPool(pool: readonly DnisEntry[], localPresence?: LocalPresence): PoolIndex {
  const byNumber = new Map<string, DnisEntry>();
  const automatic: DnisEntry[] = [];
  for (const entry of pool) {
    byNumber.set(entry.number, entry);
    if (entry.reserved !== true) automatic.push(entry);
  }
  const selectable = automatic.length === pool.length ? pool : automatic;
  return {
    all: pool,
    automatic: selectable,
    byNumber,
    reservedCount: pool.length - automatic.length,
    ...(localPresence ? { locality: indexLocalities(pool, selectable, localPresence) } : {}),
  };
}
