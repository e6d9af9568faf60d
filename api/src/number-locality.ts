/**
 * Where a phone number is, as far as its numbering plan says: the country (ISO 3166 region code) and
 * the area, i.e. the national destination code, from libphonenumber-js metadata. The area is the first
 * group of the number's international format after the calling code, as Java libphonenumber's
 * getLengthOfNationalDestinationCode reads it (+1 415 555 0123 → 415, +44 20 7946 0958 → 20,
 * +49 30 1234567 → 30, +33 1 23 45 67 89 → 1, +61 2 1234 5678 → 2), without a mobile token
 * (+54 9 11 … → 11, like +54 11 …); a number formatted as one group has none.
 */
import { parsePhoneNumber } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/min/metadata';

export interface NumberLocality {
  /** The calling code, digits only (`1`, `44`). */
  callingCode: string;
  /**
   * Region code (`US`, `GB`), when the calling code has one: the country whose plan the number fits,
   * else the calling code's main country (a range the metadata does not know yet is counted there).
   * Absent for non-geographic codes (+800, +808, …).
   */
  country?: string;
  /** `<calling code> <national destination code>` (`1 415`), when the plan has one for the number. */
  area?: string;
}

/** Calling codes whose mobile numbers carry a token before the area code in international format. */
const MOBILE_TOKENS: Readonly<Record<string, string>> = { '54': '9' };

/** Numbers are read again often (every reload of a pool, every caller): keep what was worked out. */
const cache = new Map<string, NumberLocality>();
const CACHE_LIMIT = 100_000;

/**
 * The locality of a `+E.164` number (checked already, e.g. by checkDnis); a number libphonenumber
 * cannot read has only its calling code, or nothing.
 */
export function numberLocality(e164: string): NumberLocality | undefined {
  const known = cache.get(e164);
  if (known) return known;
  const locality = readLocality(e164);
  if (locality) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(e164, locality);
  }
  return locality;
}

function readLocality(e164: string): NumberLocality | undefined {
  let parsed;
  try {
    parsed = parsePhoneNumber(e164, metadata);
  } catch {
    return undefined;
  }
  const callingCode = String(parsed.countryCallingCode);
  // Non-geographic calling codes (800, 808, …) list the pseudo-region "001".
  const main: string | undefined = metadata.country_calling_codes[callingCode]?.[0];
  const country = parsed.country ?? (main !== undefined && main !== '001' ? main : undefined);
  const groups = parsed
    .formatInternational()
    .split(/\D+/)
    .filter((g) => g !== '');
  // groups[0] is the calling code; an area needs a group after it that is not the whole number.
  let rest = groups.slice(1);
  const token = MOBILE_TOKENS[callingCode];
  if (token !== undefined && rest[0] === token && rest.length > 2) rest = rest.slice(1);
  const area = rest.length >= 2 ? `${callingCode} ${rest[0]}` : undefined;
  return {
    callingCode,
    ...(country !== undefined ? { country } : {}),
    ...(area !== undefined ? { area } : {}),
  };
}

/** `1 415` → `415`: the area code as people write it. */
export function areaCodeOf(area: string): string {
  return area.slice(area.indexOf(' ') + 1);
}
