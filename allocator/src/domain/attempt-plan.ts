import type { DnisEntry, ResolvedGroup } from '#api';
import { accessCodeSpace, generateAccessCode } from './access-code.ts';
import type { CallInRequest } from './call-in-request.ts';
import { slotKey, type Discriminator } from './keys.ts';
import type { LiveView } from './live-view.ts';
import type { LocalPresenceMatch, Tier } from './local-presence.ts';
import type { RandomSource } from './random.ts';
import { randomStart, type NumberPicker } from './selection.ts';

/** How many access codes to try on one number before moving to another. */
export const CODE_TRIES_PER_NUMBER = 4;

/** The group settings that decide how requests on one number are told apart. */
export type AttemptSettings = Pick<ResolvedGroup, 'uniqueDnis' | 'accessCode'>;

/** One create-if-absent write to try: a number of the pool and what tells its request apart. */
export interface Attempt {
  entry: DnisEntry;
  /** The access code generated for this attempt, when the group generates codes. */
  accessCode?: string;
  discriminator: Discriminator;
}

/**
 * A group that shares its numbers and generates no access codes tells its requests apart by the
 * caller's number alone, so a request there must give one.
 */
export function needsCallerNumber(settings: AttemptSettings): boolean {
  return !settings.uniqueDnis && !settings.accessCode.generate;
}

/**
 * Whether the view shows a number unable to take this request: held by any live request (unique
 * DNIS), held by this caller (numbers told apart by caller), or never (told apart by access code,
 * where the store refuses a code in use).
 */
export function busyRule(
  view: Pick<LiveView, 'isNumberBusy' | 'callerHolds'>,
  groupName: string,
  settings: AttemptSettings,
  callerNumber: string | undefined,
): (entry: DnisEntry) => boolean {
  if (settings.uniqueDnis) return (e) => view.isNumberBusy(groupName, e.number);
  if (settings.accessCode.generate) return () => false;
  return (e) => view.callerHolds(groupName, e.number, callerNumber as string);
}

/**
 * The writes to try for a new request, in order, drawn lazily (each next attempt reads `isBusy` and
 * the random source when it is asked for): the numbers not busy, in the order `pick` chooses (a
 * random start unless told); on a shared number that generates codes, up to CODE_TRIES_PER_NUMBER
 * codes before moving on. Ends when every number has been tried. The caller stops at the first write
 * the store accepts.
 */
export function* planAttempts(
  pool: readonly DnisEntry[],
  settings: AttemptSettings,
  callerNumber: string | undefined,
  isBusy: (entry: DnisEntry) => boolean,
  random: RandomSource,
  pick: NumberPicker = randomStart(random),
): Generator<Attempt, void, undefined> {
  const tried = new Set<DnisEntry>();
  for (let entry = pick(pool, isBusy, tried); entry;) {
    yield* planNumberAttempts(entry, settings, callerNumber, random);
    tried.add(entry);
    entry = pick(pool, isBusy, tried);
  }
}

/** An attempt of a tiered plan, with how near its number is to the caller. */
export type TieredAttempt = Attempt & { localPresence: LocalPresenceMatch };

/**
 * The writes to try, tier after tier (nearest to the caller first, see local-presence.ts), each tier
 * planned as `planAttempts` plans a pool; a number tried in one tier is not tried again in the next.
 */
export function* planTieredAttempts(
  tiers: readonly Tier[],
  settings: AttemptSettings,
  callerNumber: string | undefined,
  isBusy: (entry: DnisEntry) => boolean,
  random: RandomSource,
  pick: NumberPicker = randomStart(random),
): Generator<TieredAttempt, void, undefined> {
  const tried = new Set<DnisEntry>();
  for (const { level, pool } of tiers) {
    for (let entry = pick(pool, isBusy, tried); entry;) {
      for (const attempt of planNumberAttempts(entry, settings, callerNumber, random))
        yield { ...attempt, localPresence: level };
      tried.add(entry);
      entry = pick(pool, isBusy, tried);
    }
  }
}

/**
 * The writes to try for a request that asks for one number: a single create on a unique-DNIS or
 * caller-told number, up to CODE_TRIES_PER_NUMBER fresh access codes on a shared number. Whether the
 * number is free is the store's to say, so nothing is skipped on the view's word.
 */
export function* planNumberAttempts(
  entry: DnisEntry,
  settings: AttemptSettings,
  callerNumber: string | undefined,
  random: RandomSource,
): Generator<Attempt, void, undefined> {
  const generate = settings.accessCode.generate;
  const triesPerNumber =
    !settings.uniqueDnis && generate
      ? Math.min(CODE_TRIES_PER_NUMBER, accessCodeSpace(settings.accessCode.length))
      : 1;
  for (let t = 0; t < triesPerNumber; t++) {
    const accessCode = generate ? generateAccessCode(settings.accessCode.length, random) : undefined;
    const discriminator: Discriminator = settings.uniqueDnis
      ? { kind: 'unique' }
      : accessCode !== undefined
        ? { kind: 'code', accessCode }
        : { kind: 'caller', callerNumber: callerNumber as string };
    yield accessCode !== undefined ? { entry, accessCode, discriminator } : { entry, discriminator };
  }
}

export interface NewRequestFields {
  id: string;
  groupName: string;
  settings: Pick<ResolvedGroup, 'uniqueDnis' | 'expirySeconds' | 'coolDownSeconds'>;
  attempt: Attempt;
  nowMs: number;
  callerNumber?: string;
  callbackServiceId?: string;
}

/** The request an attempt would create (without userData, which only the stored record carries). */
export function newRequest(f: NewRequestFields): CallInRequest {
  const { entry, accessCode, discriminator } = f.attempt;
  const request: CallInRequest = {
    id: f.id,
    groupName: f.groupName,
    number: entry.number,
    uniqueDnis: f.settings.uniqueDnis,
    createdAtMs: f.nowMs,
    expiresAtMs: f.nowMs + f.settings.expirySeconds * 1000,
    key: slotKey(f.groupName, entry.number, discriminator),
  };
  if (f.settings.coolDownSeconds > 0) request.coolDownSeconds = f.settings.coolDownSeconds;
  if (entry.description) request.description = entry.description;
  if (accessCode !== undefined) request.accessCode = accessCode;
  if (f.callerNumber !== undefined) request.callerNumber = f.callerNumber;
  if (f.callbackServiceId !== undefined) request.callbackServiceId = f.callbackServiceId;
  return request;
}
