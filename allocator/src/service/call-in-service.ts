import { randomUUID } from 'node:crypto';
import {
  bestMatch,
  busyRule,
  busyUntilMs,
  decodeRemoval,
  candidateSlotKeys,
  decodeRequest,
  encodeRecord,
  givesNumberOnly,
  isLive,
  judgeMatch,
  matchCandidates,
  needsCallerNumber,
  newRequest,
  numberPrefix,
  outcomeName,
  planAttempts,
  planNumberAttempts,
  planTieredAttempts,
  localTiers,
  matchLevel,
  removalOf,
  selectRecords,
  Selector,
  FullPools,
  slotKey,
  slotTtlSeconds,
  type Attempt,
  type CallInRequest,
  type LocalPresenceMatch,
  type TieredAttempt,
  type LocalityIndex,
  type GuardLock,
  type GuardState,
  type HistoryRecord,
  type LiveView,
  type MatchCandidate,
  type MatchCriterion,
  type MatchInput,
  type RandomSource,
  type RecordsPage,
  type RecordsQuery,
  type RemovalReason,
} from '../domain/index.ts';
import { areaCodeOf, numberLocality, type DnisEntry, type ResolvedGroup } from '#api';
import { AllocatorCode, AllocatorError } from '../errors.ts';
import type { GroupRegistry, RegisteredGroup } from '../groups/index.ts';
import { StoreCode, StoreError, type CoordinationStore, type StoreEntry } from '../store/index.ts';
import type { MatchGuard } from './match-guard.ts';

export interface CallInServiceDeps {
  store: CoordinationStore;
  groups: GroupRegistry;
  view: LiveView;
  random: RandomSource;
  now: () => number;
  newId: () => string;
  observer?: CallInObserver;
  /** Failed-match limits; without it, failed matches are not limited. */
  guard?: MatchGuard;
  /**
   * Waits until the view reflects every write made so far, by any replica (false: it could not).
   * Reads by id, listings and matches by caller on shared numbers wait for it, so a request created
   * through another replica a moment ago is found. Without it, the view is taken as it is.
   */
  catchUp?: () => Promise<boolean>;
}

/** Hooks for metrics; the service imports no metrics library. */
export interface CallInObserver {
  created(groupName: string, attempts: number): void;
  exhausted(groupName: string): void;
  /** A create was refused for a reason of its own (not an exhausted pool). */
  refused(groupName: string, reason: CreateRefusal): void;
  matched(groupName: string): void;
  noMatch(): void;
  /** A failed guess was counted; whether it locked the number or the request it identified. */
  matchFailed(lockedNumber: boolean, lockedRequest: boolean): void;
  /** A match was refused because the number or the request is locked. */
  matchLocked(scope: 'number' | 'request'): void;
  cancelled(groupName: string): void;
}

/** Why a create was refused, as the metrics name it. */
export type CreateRefusal = 'number_unavailable' | 'no_local_number';

/** A created request, and how near its number is to the caller when the group has local presence. */
export interface CreatedRequest {
  request: CallInRequest;
  localPresence?: LocalPresenceMatch;
  /** True when the caller got the number they had last (the group's selection.stickySeconds). */
  sticky?: true;
}

export interface CreateInput {
  /** The number asked for (`+E.164`): this one or an error, reserved or not. */
  number?: string;
  callerNumber?: string;
  callbackServiceId?: string;
  userData?: Record<string, unknown>;
}

export interface MatchResult {
  request: CallInRequest;
  matchedBy: MatchCriterion[];
  /** The Designer-style branch name (domain/match.ts outcomeName). */
  outcome: string;
}

export interface MatchCheck {
  outcome: string;
  matchedBy: MatchCriterion[];
  notMatched: MatchCriterion[];
  /** A match with these criteria would consume the request. */
  consumable: boolean;
  /** The request needs its access code: prompt for it. */
  accessCodeRequired?: true;
}

interface Evaluation {
  candidates: MatchCandidate[];
  best: MatchCandidate | undefined;
  guard: GuardState | undefined;
}

/** Which groups the caller may see; undefined means all. */
export type GroupFilter = ((groupName: string) => boolean) | undefined;

export type RequestState =
  { state: 'live'; request: CallInRequest } | { state: 'ended'; record: HistoryRecord };

/**
 * Creates, matches, reads and cancels call-in requests. The store enforces the rules (one live slot
 * key per number, or per number and access code, or per number and caller); the view only steers.
 */
export class CallInService {
  readonly #d: CallInServiceDeps;
  readonly #selector: Selector;
  /**
   * Group → the unique-DNIS numbers this replica is writing a create for right now: passed over by
   * its other creates, which the view cannot yet tell (it learns of a create once written), so
   * concurrent requests on one replica do not all reach for the same free numbers.
   */
  readonly #inFlight = new Map<string, Set<string>>();
  /** group → unique-DNIS writes of this replica that failed, leaving their number free, maybe (see {@link #freesOf}) */
  readonly #failedWrites = new Map<string, number>();
  /** Keyed by the group's settings: a reload that changes nothing keeps them, and so what is known. */
  readonly #fullPools = new FullPools<ResolvedGroup>();

  constructor(deps: CallInServiceDeps) {
    this.#d = deps;
    this.#selector = new Selector(deps.random, (g) => deps.view.handedOutOrder(g));
  }

  async create(groupName: string, input: CreateInput): Promise<CreatedRequest> {
    const group = this.#d.groups.get(groupName);
    if (!group) throw unknownGroup(groupName);
    const { settings } = group;
    const callerNumber = input.callerNumber;
    if (needsCallerNumber(settings) && callerNumber === undefined) {
      throw new AllocatorError(
        AllocatorCode.CallerNumberRequired,
        `group ${JSON.stringify(groupName)} shares numbers and generates no access codes, so a request needs callerNumber to tell calls apart`,
        { details: { field: 'callerNumber' } },
      );
    }
    if (input.number !== undefined) return this.#createOn(group, input.number, input);
    if (group.index.locality?.settings.match === 'require' && callerNumber === undefined) {
      throw new AllocatorError(
        AllocatorCode.CallerNumberRequired,
        `group ${JSON.stringify(groupName)} requires a number near the caller (localPresence), so a request needs callerNumber to say where the caller is`,
        { details: { field: 'callerNumber' } },
      );
    }
    const select = async () =>
      (await this.#createSticky(group, input)) ??
      (group.index.locality
        ? await this.#createNear(group, group.index.locality, input)
        : await this.#createAny(group, input));
    // A unique pool (or its caller's required tier) that looks full may hold numbers other replicas
    // freed a moment ago, which the view has not learnt of yet: bring it up to date, look once more.
    const lookAgain = settings.uniqueDnis;
    // A full unique pool is walked once, then known full until a number may have freed.
    const remembersFull = lookAgain && !group.index.locality;
    const look = async () => {
      if (!remembersFull) return select();
      if (this.#stillFull(group)) return undefined;
      const walk = { frees: this.#freesOf(groupName), atMs: this.#d.now() };
      const found = await select();
      if (!found) this.#rememberFull(group, walk);
      return found;
    };
    const created = (await look()) ?? (lookAgain && (await this.#catchUp()) ? await look() : undefined);
    if (created) return created;
    const locality = group.index.locality;
    if (locality?.settings.match === 'require')
      throw this.#noLocalNumber(group, locality, input.callerNumber);
    throw this.#exhausted(group);
  }

  /**
   * Stickiness: the number the caller had last, when they had it within the group's
   * selection.stickySeconds, automatic selection may hand it out (and, with a required local
   * presence, it is near enough) and the view shows it free. Undefined otherwise, or when the store
   * refuses it.
   */
  async #createSticky(group: RegisteredGroup, input: CreateInput): Promise<CreatedRequest | undefined> {
    const { settings, index } = group;
    const callerNumber = input.callerNumber;
    if (settings.selection.stickySeconds === 0 || callerNumber === undefined) return undefined;
    const last = this.#d.view.lastNumberOf(settings.groupName, callerNumber);
    if (!last || this.#d.now() - last.atMs > settings.selection.stickySeconds * 1000) return undefined;
    const entry = index.byNumber.get(last.number);
    if (!entry || entry.reserved === true) return undefined;
    if (this.#isBusy(group, callerNumber)(entry)) return undefined;
    const locality = index.locality;
    const near = locality
      ? matchLevel(
          locality.localities.get(entry.number),
          numberLocality(callerNumber),
          locality.settings.level,
        )
      : undefined;
    if (locality?.settings.match === 'require' && near !== locality.settings.level) return undefined;
    const plan = planNumberAttempts(entry, settings, callerNumber, this.#d.random);
    const request = await this.#firstAccepted(group, plan, input);
    if (!request) return undefined;
    return near !== undefined ? { request, localPresence: near, sticky: true } : { request, sticky: true };
  }

  /** Automatic selection over every number that is not reserved, in the group's selection order. */
  async #createAny(group: RegisteredGroup, input: CreateInput): Promise<CreatedRequest | undefined> {
    const { settings, index } = group;
    const isBusy = this.#isBusy(group, input.callerNumber);
    const pick = this.#selector.picker(settings.groupName, settings.selection.strategy);
    const plan = planAttempts(index.automatic, settings, input.callerNumber, isBusy, this.#d.random, pick);
    const request = await this.#firstAccepted(group, plan, input);
    return request && { request };
  }

  /**
   * Automatic selection nearest the caller first (local presence); undefined when no number is
   * free (at the caller's level, when local presence is required).
   */
  async #createNear(
    group: RegisteredGroup,
    locality: LocalityIndex,
    input: CreateInput,
  ): Promise<CreatedRequest | undefined> {
    const { settings, index } = group;
    const caller = input.callerNumber !== undefined ? numberLocality(input.callerNumber) : undefined;
    const tiers = localTiers(locality, index.automatic, caller);
    const isBusy = this.#isBusy(group, input.callerNumber);
    const pick = this.#selector.picker(settings.groupName, settings.selection.strategy);
    const plan = planTieredAttempts(tiers, settings, input.callerNumber, isBusy, this.#d.random, pick);
    let last: TieredAttempt | undefined;
    const request = await this.#firstAccepted(group, plan, input, (a) => (last = a));
    return request && { request, localPresence: last?.localPresence ?? 'none' };
  }

  /** Whether automatic selection passes a number over: the view's rule, and this replica's writes in flight. */
  #isBusy(group: RegisteredGroup, callerNumber: string | undefined): (entry: DnisEntry) => boolean {
    const { settings } = group;
    const shown = busyRule(this.#d.view, settings.groupName, settings, callerNumber);
    if (!settings.uniqueDnis) return shown;
    const inFlight = this.#inFlight;
    const groupName = settings.groupName;
    return (entry) => inFlight.get(groupName)?.has(entry.number) === true || shown(entry);
  }

  /**
   * Counts what may free a number of the group: requests and cooling keys leaving its numbers in the
   * view, and this replica's writes to it failing (their numbers were passed over while in flight).
   */
  #freesOf(groupName: string): number {
    return this.#d.view.freedCount(groupName) + (this.#failedWrites.get(groupName) ?? 0);
  }

  #stillFull(group: RegisteredGroup): { nextExpiryAtMs: number | undefined } | undefined {
    const groupName = group.settings.groupName;
    return this.#fullPools.stillFull(groupName, group.settings, this.#freesOf(groupName), this.#d.now());
  }

  /**
   * The group's pool was found full by a walk that began at `walk.atMs`, its frees standing at
   * `walk.frees`: a number whose busy time ran out while the walk awaited its writes is not missed.
   */
  #rememberFull(group: RegisteredGroup, walk: { frees: number; atMs: number }): void {
    const groupName = group.settings.groupName;
    const automatic = this.#automaticNumbers(group);
    const nextMs = this.#d.view.nextExpiryInMs(groupName, automatic);
    this.#fullPools.remember(
      groupName,
      {
        group: group.settings,
        frees: walk.frees,
        untilMs: this.#d.view.nextFreeAtMs(groupName, automatic, walk.atMs),
        nextExpiryAtMs: nextMs === undefined ? undefined : this.#d.now() + nextMs,
      },
      this.#d.now(),
    );
  }

  /** Which numbers automatic selection may hand out (undefined: all): a reserved one freeing does not help. */
  #automaticNumbers(group: RegisteredGroup): ((number: string) => boolean) | undefined {
    const { index } = group;
    return index.reservedCount > 0 ? (n: string) => index.byNumber.get(n)?.reserved !== true : undefined;
  }

  /** POOL_EXHAUSTED, with when a number automatic selection may hand out frees, if known. */
  #exhausted(group: RegisteredGroup): AllocatorError {
    const groupName = group.settings.groupName;
    this.#d.observer?.exhausted(groupName);
    const remembered = this.#stillFull(group);
    const nextMs = remembered
      ? remembered.nextExpiryAtMs === undefined
        ? undefined
        : Math.max(0, remembered.nextExpiryAtMs - this.#d.now())
      : this.#d.view.nextExpiryInMs(groupName, this.#automaticNumbers(group));
    return new AllocatorError(
      AllocatorCode.PoolExhausted,
      `every number of group ${JSON.stringify(groupName)} is in use; try again when a request expires`,
      {
        details: {
          groupName,
          ...(nextMs !== undefined ? { retryAfterSeconds: Math.max(1, Math.ceil(nextMs / 1000)) } : {}),
        },
      },
    );
  }

  /** NO_LOCAL_NUMBER for a caller whose required tier has no free number, naming where they are. */
  #noLocalNumber(group: RegisteredGroup, locality: LocalityIndex, callerNumber: string | undefined) {
    const groupName = group.settings.groupName;
    const level = locality.settings.level;
    const caller = callerNumber !== undefined ? numberLocality(callerNumber) : undefined;
    const tier = localTiers(locality, group.index.automatic, caller)[0];
    this.#d.observer?.refused(groupName, 'no_local_number');
    const numbers = new Set((tier?.pool ?? []).map((e) => e.number));
    const nextMs =
      numbers.size > 0 ? this.#d.view.nextExpiryInMs(groupName, (n) => numbers.has(n)) : undefined;
    const country = caller?.country ?? 'no country';
    const where =
      level === 'area'
        ? caller?.area !== undefined
          ? `area ${areaCodeOf(caller.area)} of ${country}`
          : `the caller's area (the caller number ${caller?.country !== undefined ? `in ${country} ` : ''}has no area code)`
        : caller?.country !== undefined
          ? country
          : "the caller's country (the caller number is in none)";
    return new AllocatorError(
      AllocatorCode.NoLocalNumber,
      numbers.size === 0
        ? `group ${JSON.stringify(groupName)} has no number in ${where}, where the caller is, and requires one (localPresence)`
        : `every number of group ${JSON.stringify(groupName)} in ${where}, where the caller is, is in use; try again when one is free`,
      {
        details: {
          groupName,
          level,
          ...(caller?.country !== undefined ? { callerCountry: caller.country } : {}),
          ...(level === 'area' && caller?.area !== undefined ? { callerArea: areaCodeOf(caller.area) } : {}),
          localNumbers: numbers.size,
          ...(nextMs !== undefined ? { retryAfterSeconds: Math.max(1, Math.ceil(nextMs / 1000)) } : {}),
        },
      },
    );
  }

  /**
   * A request on the number asked for, reserved or not: NUMBER_NOT_IN_POOL when the group has no
   * such number, NUMBER_UNAVAILABLE (with when it frees, if known) when the store refuses its slot.
   */
  async #createOn(group: RegisteredGroup, number: string, input: CreateInput): Promise<CreatedRequest> {
    const { settings } = group;
    const groupName = settings.groupName;
    const entry = group.index.byNumber.get(number);
    if (!entry) {
      throw new AllocatorError(
        AllocatorCode.NumberNotInPool,
        `number ${number} is not in the pool of group ${JSON.stringify(groupName)}`,
        { details: { groupName, number, field: 'number' } },
      );
    }
    const plan = planNumberAttempts(entry, settings, input.callerNumber, this.#d.random);
    let last: Attempt | undefined;
    const request = await this.#firstAccepted(group, plan, input, (a) => (last = a));
    const locality = group.index.locality;
    if (request && !locality) return { request };
    if (request && locality) {
      // Asked for by value: handed out wherever it is, and the answer says how near it is.
      const caller = input.callerNumber !== undefined ? numberLocality(input.callerNumber) : undefined;
      const near = matchLevel(locality.localities.get(number), caller, locality.settings.level);
      return { request, localPresence: near };
    }
    this.#d.observer?.refused(groupName, 'number_unavailable');
    const nextMs = await this.#freesInMs(group, number, input.callerNumber, last);
    throw new AllocatorError(
      AllocatorCode.NumberUnavailable,
      `number ${number} of group ${JSON.stringify(groupName)} is in use${settings.uniqueDnis ? '' : ' for this request'}; try again when its request ends`,
      {
        details: {
          groupName,
          number,
          ...(nextMs !== undefined ? { retryAfterSeconds: Math.max(1, Math.ceil(nextMs / 1000)) } : {}),
        },
      },
    );
  }

  /**
   * The create of the first attempt the store accepts (the request, in the view too), or undefined
   * when it refused them all. `tried` is told of each attempt before its write.
   */
  async #firstAccepted<A extends Attempt>(
    group: RegisteredGroup,
    plan: Iterable<A>,
    input: CreateInput,
    tried?: (attempt: A) => void,
  ): Promise<CallInRequest | undefined> {
    const { settings } = group;
    const groupName = settings.groupName;
    let attempts = 0;
    for (const attempt of plan) {
      attempts++;
      tried?.(attempt);
      const request = newRequest({
        nowMs: this.#d.now(),
        id: this.#d.newId(),
        groupName,
        settings,
        attempt,
        callerNumber: input.callerNumber,
        callbackServiceId: input.callbackServiceId,
      });
      // The stored record carries userData; the view and the answer do not need it.
      const value = encodeRecord(
        input.userData !== undefined ? { ...request, userData: input.userData } : request,
      );
      const inFlight = settings.uniqueDnis ? this.#writing(groupName, request.number) : undefined;
      /** Whether the number is held once the write is over (by this request, or another). */
      let held = false;
      try {
        const revision = await this.#d.store.create(request.key, value, slotTtlSeconds(settings));
        held = true;
        this.#d.view.applyCreated(request, revision);
        this.#d.observer?.created(groupName, attempts);
        return request;
      } catch (err) {
        if (!(err instanceof StoreError && err.code === StoreCode.KeyExists)) throw storeFailure(err);
        held = true;
      } finally {
        inFlight?.(held);
      }
    }
    return undefined;
  }

  /**
   * Marks a unique-DNIS number as being written by this replica; the function returned unmarks it,
   * told whether the number is held now (a failed write may leave it free: counted as a free).
   */
  #writing(groupName: string, number: string): (held: boolean) => void {
    let numbers = this.#inFlight.get(groupName);
    if (!numbers) this.#inFlight.set(groupName, (numbers = new Set()));
    numbers.add(number);
    return (held) => {
      numbers.delete(number);
      if (numbers.size === 0) this.#inFlight.delete(groupName);
      if (!held) this.#failedWrites.set(groupName, (this.#failedWrites.get(groupName) ?? 0) + 1);
    };
  }

  /**
   * Milliseconds until the number's slot may be free: from the view, or else (it has not yet seen the
   * request that holds it) from that request in the store. Undefined when neither knows.
   */
  async #freesInMs(
    group: RegisteredGroup,
    number: string,
    callerNumber: string | undefined,
    last: Attempt | undefined,
  ): Promise<number | undefined> {
    const { settings } = group;
    const byCaller = !settings.uniqueDnis && !settings.accessCode.generate ? callerNumber : undefined;
    const known = this.#d.view.nextExpiryOnNumberInMs(settings.groupName, number, byCaller);
    if (known !== undefined || !last) return known;
    try {
      const entry = await this.#d.store.get(slotKey(settings.groupName, number, last.discriminator));
      if (!entry) return undefined;
      const holder = decodeRequest(entry.value);
      const until = holder ? busyUntilMs(holder) : decodeRemoval(entry.value)?.coolsUntilMs;
      return until !== undefined ? Math.max(0, until - this.#d.now()) : undefined;
    } catch {
      return undefined; // only the hint is lost
    }
  }

  /**
   * Finds the live request an incoming call answers and consumes it: exactly one of two racing
   * matches wins (compare-and-set on the slot key's revision); the number is free again at once.
   * A call that gives a caller number or access code and matches nothing counts against the
   * failed-match limits; a locked number or request answers MATCH_LOCKED.
   */
  async match(input: MatchInput & { groupName?: string }, allowed: GroupFilter): Promise<MatchResult> {
    const found = await this.#evaluate(input, allowed);
    let lostRace = false;
    let locked: GuardLock | undefined;
    const consumable = found.candidates.filter((c) => c.consumable);
    while (consumable.length > 0) {
      const best = bestMatch(consumable);
      if (!best) break;
      consumable.splice(consumable.indexOf(best), 1);
      const lock = this.#d.guard?.lockOf(found.guard, best.request.id);
      if (lock?.locked) {
        locked ??= lock;
        continue;
      }
      if (best.revision !== undefined && (await this.#end(best.request, best.revision, 'matched'))) {
        this.#d.observer?.matched(best.request.groupName);
        return { request: best.request, matchedBy: best.matchedBy, outcome: outcomeName(best.matchedBy) };
      }
      lostRace = true;
    }
    if (locked?.locked) throw matchLocked(locked, input.dialledNumber, this.#d.observer);
    const report = found.best;
    if (!lostRace) await this.#countFailure(input, found);
    this.#d.observer?.noMatch();
    throw new AllocatorError(
      AllocatorCode.NoMatch,
      `no live request on ${input.dialledNumber} matches this call`,
      { details: { outcome: outcomeName(report?.matchedBy ?? []), ...criteriaDetails(report) } },
    );
  }

  /**
   * Which criteria of an incoming call agree with the best live request on the dialled number, and
   * whether a match would consume it, without consuming anything. A partial answer counts against
   * the failed-match limits like a failed match.
   */
  async checkMatch(input: MatchInput & { groupName?: string }, allowed: GroupFilter): Promise<MatchCheck> {
    const found = await this.#evaluate(input, allowed);
    const best = found.best;
    const consumable = best?.consumable === true;
    if (best && consumable) {
      const lock = this.#d.guard?.lockOf(found.guard, best.request.id);
      if (lock?.locked) throw matchLocked(lock, input.dialledNumber, this.#d.observer);
    } else {
      await this.#countFailure(input, found);
    }
    return {
      outcome: outcomeName(best?.matchedBy ?? []),
      matchedBy: best?.matchedBy ?? [],
      notMatched: best?.notMatched ?? [],
      consumable,
      ...(best && !consumable && best.request.accessCode !== undefined && input.accessCode === undefined
        ? { accessCodeRequired: true }
        : {}),
    };
  }

  /**
   * The live requests on the dialled number in scope, each compared with the call: from the store
   * where the call names a slot key (or lists the number, for a call that gives the number alone),
   * and from this replica's view for the partial answers.
   */
  async #evaluate(input: MatchInput & { groupName?: string }, allowed: GroupFilter): Promise<Evaluation> {
    const inScope = (g: string) =>
      (input.groupName === undefined || g === input.groupName) && (allowed?.(g) ?? true);
    const groupsOnNumber = this.#d.groups.withNumber(input.dialledNumber).filter(inScope);
    const found = await this.#evaluateWith(input, inScope, groupsOnNumber);
    // A request on a shared number with an access code is found by its caller only through the
    // view, which learns of other replicas' requests from the records: read them, and look again.
    if (found.best?.consumable === true || !this.#viewFindsMore(groupsOnNumber, input)) return found;
    return (await this.#catchUp()) ? this.#evaluateWith(input, inScope, groupsOnNumber) : found;
  }

  /**
   * Whether a call may identify a live request that only the view can point at: one on a shared
   * number of a group with access codes, by its caller number (the slot key names the code, which
   * the call does not give, or gives wrong: the caller's request is then charged the failure).
   */
  #viewFindsMore(groupsOnNumber: readonly string[], input: MatchInput): boolean {
    if (input.callerNumber === undefined) return false;
    return groupsOnNumber.some((name) => {
      const g = this.#d.groups.get(name)?.settings;
      return g !== undefined && !g.uniqueDnis && g.accessCode.generate;
    });
  }

  async #evaluateWith(
    input: MatchInput,
    inScope: (groupName: string) => boolean,
    groupsOnNumber: readonly string[],
  ): Promise<Evaluation> {
    const now = this.#d.now();
    const numberOnly = givesNumberOnly(input);

    const keys = new Set<string>();
    const fromView = new Map<string, CallInRequest>();
    for (const { request } of this.#d.view.onNumber(input.dialledNumber)) {
      if (!inScope(request.groupName) || !isLive(request, now)) continue;
      fromView.set(request.key, request);
      if (judgeMatch(request, input, now).matched) keys.add(request.key);
    }
    if (!numberOnly) for (const k of candidateSlotKeys(groupsOnNumber, input)) keys.add(k);
    const [guard, entries] = await Promise.all([
      this.#d.guard?.read(input.dialledNumber).catch((err: unknown) => Promise.reject(storeFailure(err))),
      numberOnly
        ? Promise.all(groupsOnNumber.map((g) => this.#d.store.list(numberPrefix(g, input.dialledNumber))))
            .then((lists) => lists.flat())
            .catch((err: unknown) => Promise.reject(storeFailure(err)))
        : Promise.all(
            [...keys].map((k) =>
              this.#d.store.get(k).catch((err: unknown) => Promise.reject(storeFailure(err))),
            ),
          ),
    ]);
    const lock = this.#d.guard?.lockOf(guard);
    if (lock?.locked) throw matchLocked(lock, input.dialledNumber, this.#d.observer);

    const stored = new Map<string, { request: CallInRequest; revision: number }>();
    for (const e of entries) {
      const request = e && decodeRequest(e.value);
      if (e && request && inScope(request.groupName) && isLive(request, now))
        stored.set(e.key, { request, revision: e.revision });
    }
    const candidates = matchCandidates(stored, fromView, input, now);
    return { candidates, best: bestMatch(candidates), guard };
  }

  /** A failed guess: the call gave a caller number or access code and nothing it names matched. */
  async #countFailure(input: MatchInput, found: Evaluation): Promise<void> {
    const guard = this.#d.guard;
    if (!guard || (input.callerNumber === undefined && input.accessCode === undefined)) return;
    const best = found.best;
    // The request the call identified without its access code: the number's only request, or the
    // caller's own. Failures charged to it lock it once they reach the per-request limit.
    const identified =
      best &&
      best.notMatched.includes('accessCode') &&
      (best.request.uniqueDnis || best.matchedBy.includes('callerNumber'))
        ? { id: best.request.id, expiresAtMs: best.request.expiresAtMs }
        : undefined;
    let result;
    try {
      result = await guard.recordFailure(input.dialledNumber, identified);
    } catch (err) {
      throw storeFailure(err);
    }
    this.#d.observer?.matchFailed(result?.lockedNumber ?? false, result?.lockedRequest ?? false);
  }

  /** A live request, or what became of it while the records keep it; REQUEST_NOT_FOUND otherwise. */
  async get(id: string, allowed: GroupFilter): Promise<RequestState> {
    for (let caughtUp = false; ; caughtUp = true) {
      const live = await this.#liveEntry(id);
      if (live && (allowed?.(live.request.groupName) ?? true))
        return { state: 'live', request: live.request };
      const record = this.#d.view.historyOf(id);
      if (record && record.outcome && (allowed?.(record.request.groupName) ?? true))
        return { state: 'ended', record };
      // Unknown here, or listed as live by the view while the store no longer holds it (ended through
      // another replica a moment ago): once the view has caught up, it knows what became of it.
      if (live || record?.outcome || caughtUp || !(await this.#catchUp())) throw notFound(id);
    }
  }

  /** Records (live and ended requests) that match, newest first, one page. */
  async records(query: RecordsQuery): Promise<RecordsPage> {
    await this.#catchUp();
    return selectRecords(this.#d.view.records(), query);
  }

  async cancel(id: string, allowed: GroupFilter): Promise<CallInRequest> {
    let live = await this.#liveEntry(id);
    if (!live && !this.#d.view.historyOf(id) && (await this.#catchUp())) live = await this.#liveEntry(id);
    if (!live || !(allowed?.(live.request.groupName) ?? true)) throw notFound(id);
    if (!(await this.#end(live.request, live.revision, 'cancelled'))) throw notFound(id);
    this.#d.observer?.cancelled(live.request.groupName);
    return live.request;
  }

  async listLive(
    groupName: string,
    filter: { id?: string; callerNumber?: string },
  ): Promise<CallInRequest[]> {
    await this.#catchUp();
    this.requireKnownGroup(groupName);
    return this.#d.view
      .liveRequests(groupName)
      .filter(
        (r) =>
          (filter.id === undefined || r.id === filter.id) &&
          (filter.callerNumber === undefined || r.callerNumber === filter.callerNumber),
      );
  }

  async history(groupName: string, filter: { id?: string }): Promise<HistoryRecord[]> {
    await this.#catchUp();
    this.requireKnownGroup(groupName);
    return this.#d.view
      .history(groupName)
      .filter((h) => filter.id === undefined || h.request.id === filter.id);
  }

  /** Known: configured now, or holding live requests or history from before its removal. */
  requireKnownGroup(groupName: string): void {
    if (this.#d.groups.get(groupName)) return;
    if (this.#d.view.liveRequests(groupName).length > 0 || this.#d.view.history(groupName).length > 0) return;
    throw unknownGroup(groupName);
  }

  /** Pool usage of a group, as the view knows it: call {@link catchUp} first for the latest. */
  groupStatus(group: RegisteredGroup): {
    poolSize: number;
    numbersInUse: number;
    numbersCooling: number;
    liveRequests: number;
  } {
    return {
      poolSize: group.pool.length,
      numbersInUse: this.#d.view.busyCount(group.settings.groupName),
      numbersCooling: this.#d.view.coolingCount(group.settings.groupName),
      liveRequests: this.#d.view.liveRequests(group.settings.groupName).length,
    };
  }

  /** Brings the view up to date with every replica's writes (false: it could not; it is as it was). */
  catchUp(): Promise<boolean> {
    return this.#catchUp();
  }

  async #catchUp(): Promise<boolean> {
    if (!this.#d.catchUp) return false;
    try {
      return await this.#d.catchUp();
    } catch (err) {
      throw storeFailure(err);
    }
  }

  async #liveEntry(id: string): Promise<{ request: CallInRequest; revision: number } | undefined> {
    const key = this.#d.view.keyOf(id);
    if (!key) return undefined;
    let entry: StoreEntry | null;
    try {
      entry = await this.#d.store.get(key);
    } catch (err) {
      throw storeFailure(err);
    }
    const request = entry && decodeRequest(entry.value);
    if (!entry || !request || request.id !== id || !isLive(request, this.#d.now())) return undefined;
    return { request, revision: entry.revision };
  }

  /**
   * Compare-and-set removal, or, for a request with a cool-down, a compare-and-set put of the
   * cooling marker that keeps its slot key taken for the cool-down (TTL); false when another replica
   * (or the TTL) got there first.
   */
  async #end(request: CallInRequest, revision: number, outcome: RemovalReason['outcome']): Promise<boolean> {
    const reason = encodeRecord(removalOf(request, outcome, this.#d.now(), randomUUID()));
    try {
      const coolDown = request.coolDownSeconds;
      if (coolDown !== undefined) {
        const cooledAt = await this.#d.store.replace(request.key, reason, revision, coolDown);
        this.#d.view.apply({ type: 'put', key: request.key, value: reason, revision: cooledAt });
      } else {
        const removedAt = await this.#d.store.remove(request.key, revision, reason);
        this.#d.view.apply({ type: 'removed', key: request.key, revision: removedAt, reason });
      }
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.code === StoreCode.Conflict) return false;
      throw storeFailure(err);
    }
  }
}

function unknownGroup(groupName: string): AllocatorError {
  return new AllocatorError(
    AllocatorCode.UnknownGroup,
    `there is no group named ${JSON.stringify(groupName)}`,
    {
      details: { groupName },
    },
  );
}

function matchLocked(
  lock: Extract<GuardLock, { locked: true }>,
  dialledNumber: string,
  observer: CallInObserver | undefined,
): AllocatorError {
  observer?.matchLocked(lock.scope);
  const retryAfterSeconds = Math.max(1, Math.ceil(lock.retryAfterMs / 1000));
  return new AllocatorError(
    AllocatorCode.MatchLocked,
    lock.scope === 'number'
      ? `too many failed matches on ${dialledNumber}; matching on it is locked for ${retryAfterSeconds} s`
      : 'too many failed matches for this request; it can no longer be matched (create a new one)',
    { details: { scope: lock.scope, retryAfterSeconds } },
  );
}

function criteriaDetails(c: { matchedBy: MatchCriterion[]; notMatched: MatchCriterion[] } | undefined) {
  return { matchedBy: c?.matchedBy ?? [], notMatched: c?.notMatched ?? [] };
}

function notFound(id: string): AllocatorError {
  return new AllocatorError(AllocatorCode.RequestNotFound, `no request with id ${JSON.stringify(id)}`, {
    details: { id },
  });
}

function storeFailure(err: unknown): unknown {
  if (err instanceof StoreError) {
    return new AllocatorError(
      AllocatorCode.StoreUnavailable,
      `the coordination store is unavailable: ${err.message}`,
      { cause: err },
    );
  }
  return err;
}
