/**
 * DNIS checks: E.164 shape, a country calling code in use, and a possible national length, from
 * libphonenumber-js metadata. The common case (a possible number) costs a map lookup; libphonenumber's
 * full parser (~20 µs a number) runs only to explain a number that fails.
 */
import { Metadata, validatePhoneNumberLength } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/min/metadata';
import { Limits, Rule, show } from './issues.ts';

/** `+` optional, then 1 to 15 digits not starting with 0: the E.164 shape, at most 16 characters. */
export const E164_PATTERN = /^\+?[1-9][0-9]{1,14}$/;

/** `18005555555` → `+18005555555`; surrounding spaces dropped. Does not check the number. */
export function normalizeDnis(number: string): string {
  const trimmed = number.trim();
  return trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
}

interface NumberingPlanView {
  possibleLengths(): number[] | undefined;
}
interface MetadataView {
  selectNumberingPlan(countryOrCallingCode: string): unknown;
  numberingPlan?: NumberingPlanView;
}

interface CallingCodeInfo {
  /** Possible lengths of the national number in any country sharing the calling code (for messages). */
  lengths: ReadonlySet<number>;
  /** Lengths possible in every country sharing the calling code: a number of such a length needs no parsing. */
  surelyPossible: ReadonlySet<number>;
  regions: readonly string[];
}

const callingCodes = new Map<string, CallingCodeInfo>();

function callingCodeInfo(code: string): CallingCodeInfo | undefined {
  const cached = callingCodes.get(code);
  if (cached) return cached;
  const regions: readonly string[] | undefined = metadata.country_calling_codes[code];
  if (!regions) return undefined;
  const view = new Metadata(metadata) as unknown as MetadataView;
  const lengths = new Set<number>();
  let surelyPossible: Set<number> | undefined;
  for (const region of regions.length > 0 ? regions : [code]) {
    // Non-geographic codes (800, 808, 870, …) list the pseudo-region "001": select them by calling code.
    view.selectNumberingPlan(region === '001' ? code : region);
    const regionLengths = view.numberingPlan?.possibleLengths() ?? [];
    for (const length of regionLengths) lengths.add(length);
    surelyPossible = surelyPossible
      ? new Set(regionLengths.filter((l) => surelyPossible?.has(l)))
      : new Set(regionLengths);
  }
  const info = {
    lengths,
    surelyPossible: surelyPossible ?? new Set<number>(),
    regions: regions.filter((r) => r !== '001'),
  };
  callingCodes.set(code, info);
  return info;
}

/** The calling code a `+`-less digit string starts with (codes are prefix-free, 1 to 3 digits). */
function splitCallingCode(digits: string): { code: string; info: CallingCodeInfo } | undefined {
  for (let size = 1; size <= 3 && size < digits.length; size++) {
    const code = digits.slice(0, size);
    const info = callingCodeInfo(code);
    if (info) return { code, info };
  }
  return undefined;
}

export interface DnisProblem {
  rule: string;
  message: string;
}

/** Checks the shape only (no libphonenumber): returns why `number` is not E.164, or undefined. */
export function checkDnisFormat(number: string): DnisProblem | undefined {
  if (E164_PATTERN.test(number)) return undefined;
  const chars = [...number].length;
  let why: string;
  if (number.length === 0) why = 'it is empty';
  else if (chars > Limits.numberMaxChars)
    why = `it is ${chars} characters long; at most ${Limits.numberMaxChars} are allowed`;
  else if (/[^+0-9]/.test(number))
    why =
      'it contains characters other than digits and a leading +; write digits only, without spaces, dashes or brackets';
  else if (/^\+?0/.test(number)) why = 'it starts with 0; E.164 numbers start with the country calling code';
  else if (number.lastIndexOf('+') > 0) why = 'a + may only appear at the start';
  else why = 'it is too short';
  return {
    rule: Rule.DnisFormat,
    message: `number ${show(number)} is not an E.164 phone number: ${why} (expected an optional + and up to 15 digits, e.g. +18005555555)`,
  };
}

/** Full check: shape, country calling code, possible length. Returns the first problem, or undefined. */
export function checkDnis(number: string): DnisProblem | undefined {
  const format = checkDnisFormat(number);
  if (format) return format;
  const e164 = normalizeDnis(number);
  const digits = e164.slice(1);
  const split = splitCallingCode(digits);
  if (split && split.info.surelyPossible.has(digits.length - split.code.length)) return undefined;
  // Slow path: let libphonenumber decide and explain.
  const verdict = validatePhoneNumberLength(e164, metadata);
  if (verdict === undefined) return undefined;
  if (verdict === 'INVALID_COUNTRY' || !split) {
    return {
      rule: Rule.DnisCountryCode,
      message: `number ${show(number)} does not start with a country calling code in use (for example 1 for the US and Canada, 44 for the UK); write the number in international form`,
    };
  }
  const national = digits.length - split.code.length;
  const usual = split.info.surelyPossible.size > 0 ? split.info.surelyPossible : split.info.lengths;
  const lengths = [...usual].sort((a, b) => a - b);
  const where =
    split.info.regions.length > 0
      ? ` (${split.info.regions.slice(0, 4).join(', ')}${split.info.regions.length > 4 ? ', …' : ''})`
      : '';
  const how =
    verdict === 'TOO_SHORT' ? 'too short' : verdict === 'TOO_LONG' ? 'too long' : 'not a possible length';
  return {
    rule: Rule.DnisLength,
    message: `number ${show(number)} is ${how} for country calling code +${split.code}${where}: the part after +${split.code} has ${national} digits, numbers there have ${lengths.join(' or ')} digits`,
  };
}
