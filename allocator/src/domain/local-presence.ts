import { numberLocality, type DnisEntry, type LocalPresence, type NumberLocality } from '#api';

/** How near the number a request got is to its caller; `none` when it is neither in the area nor the country. */
export type LocalPresenceMatch = 'area' | 'country' | 'none';

/** A group's pool by where its numbers are, built once per group load. */
export interface LocalityIndex {
  readonly settings: LocalPresence;
  /** The locality of every number of the pool (reserved ones too: an asked-for number is judged as well). */
  readonly localities: ReadonlyMap<string, NumberLocality>;
  /** Numbers automatic selection may hand out, by area (`<calling code> <area code>`). */
  readonly byArea: ReadonlyMap<string, readonly DnisEntry[]>;
  /** Numbers automatic selection may hand out, by country (region code). */
  readonly byCountry: ReadonlyMap<string, readonly DnisEntry[]>;
}

/** One group of numbers to try, and the level a number of it matches the caller at. */
export interface Tier {
  level: LocalPresenceMatch;
  pool: readonly DnisEntry[];
}

export function indexLocalities(
  pool: readonly DnisEntry[],
  automatic: readonly DnisEntry[],
  settings: LocalPresence,
): LocalityIndex {
  const localities = new Map<string, NumberLocality>();
  for (const entry of pool) {
    const locality = numberLocality(entry.number);
    if (locality) localities.set(entry.number, locality);
  }
  const byArea = new Map<string, DnisEntry[]>();
  const byCountry = new Map<string, DnisEntry[]>();
  const add = (map: Map<string, DnisEntry[]>, key: string, entry: DnisEntry) => {
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  };
  for (const entry of automatic) {
    const locality = localities.get(entry.number);
    if (locality?.area !== undefined) add(byArea, locality.area, entry);
    if (locality?.country !== undefined) add(byCountry, locality.country, entry);
  }
  return { settings, localities, byArea, byCountry };
}

/**
 * The tiers to try for a caller, nearest first. `prefer`: at level `area` the caller's area, then the
 * caller's country, then every number; at level `country` the country, then every number. `require`:
 * only the tier of the level. A caller whose number says nothing of where they are (no caller number,
 * or a non-geographic one) gets every number with `prefer`, and nothing with `require`.
 */
export function localTiers(
  index: LocalityIndex,
  automatic: readonly DnisEntry[],
  caller: NumberLocality | undefined,
): Tier[] {
  const { match, level } = index.settings;
  const tiers: Tier[] = [];
  if (level === 'area') {
    const area = caller?.area === undefined ? undefined : index.byArea.get(caller.area);
    tiers.push({ level: 'area', pool: area ?? [] });
  }
  if (level === 'country' || match === 'prefer') {
    const country = caller?.country === undefined ? undefined : index.byCountry.get(caller.country);
    tiers.push({ level: 'country', pool: country ?? [] });
  }
  if (match === 'prefer') tiers.push({ level: 'none', pool: automatic });
  return tiers;
}

/** How near a number is to the caller, judged down to `level`. */
export function matchLevel(
  number: NumberLocality | undefined,
  caller: NumberLocality | undefined,
  level: LocalPresence['level'],
): LocalPresenceMatch {
  if (!number || !caller) return 'none';
  if (level === 'area' && number.area !== undefined && number.area === caller.area) return 'area';
  if (number.country !== undefined && number.country === caller.country) return 'country';
  return 'none';
}
