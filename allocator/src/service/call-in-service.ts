import type { DnisEntry } from '../../../api/src/index.ts';
import {
  accessCodeSpace,
  bestMatch,
  encodeRecord,
  generateAccessCode,
  isLive,
  judgeMatch,
  pickFreeNumber,
  slotKey,
  decodeRequest,
  type CallInRequest,
  type Discriminator,
  type MatchCriterion,
  type MatchInput,
  type RandomSource,
  type RemovalReason,
} from '../domain/index.ts';
import { AllocatorCode, AllocatorError } from '../errors.ts';
import type { GroupRegistry, RegisteredGroup } from '../groups/index.ts';
import { StoreCode, StoreError, type CoordinationStore, type StoreEntry } from '../store/index.ts';
import type { HistoryRecord, LiveView } from './live-view.ts';

export interface CallInServiceDeps {
  store: CoordinationStore;
  groups: GroupRegistry;
  view: LiveView;
  random: RandomSource;
  now: () => number;
  newId: () => string;
  observer?: CallInObserver;
}

/** Hooks for metrics; the service imports no metrics library. */
export interface CallInObserver {
  created(groupName: string, attempts: number): void;
  exhausted(groupName: string): void;
  matched(groupName: string): void;
  noMatch(): void;
  cancelled(groupName: string): void;
}

export interface CreateInput {
  callerNumber?: string;
  userData?: Record<string, unknown>;
}

/** Which groups the caller may see; undefined means all. */
export type GroupFilter = ((groupName: string) => boolean) | undefined;

export type RequestState =
  { state: 'live'; request: CallInRequest } | { state: 'ended'; record: HistoryRecord };

/** How many access codes to try on one number before moving to another. */
const CODE_TRIES_PER_NUMBER = 4;

/**
 * Creates, matches, reads and cancels call-in requests. The store enforces the rules (one live slot
 * key per number, or per number and access code, or per number and caller); the view only steers.
 */
export class CallInService {
  readonly #d: CallInServiceDeps;

  constructor(deps: CallInServiceDeps) {
    this.#d = deps;
  }

  async create(groupName: string, input: CreateInput): Promise<CallInRequest> {
    const group = this.#d.groups.get(groupName);
    if (!group) throw unknownGroup(groupName);
    const { settings } = group;
    const generate = settings.accessCode.generate;
    const callerNumber = input.callerNumber;
    if (!settings.uniqueDnis && !generate && callerNumber === undefined) {
      throw new AllocatorError(
        AllocatorCode.CallerNumberRequired,
        `group ${JSON.stringify(groupName)} shares numbers and generates no access codes, so a request needs callerNumber to tell calls apart`,
        { details: { field: 'callerNumber' } },
      );
    }
    const view = this.#d.view;
    const isBusy: (e: DnisEntry) => boolean = settings.uniqueDnis
      ? (e) => view.isNumberBusy(groupName, e.number)
      : generate
        ? () => false
        : (e) => view.callerHolds(groupName, e.number, callerNumber as string);
    const tried = new Set<DnisEntry>();
    const codeTries = Math.min(CODE_TRIES_PER_NUMBER, accessCodeSpace(settings.accessCode.length));
    let attempts = 0;
    for (;;) {
      const entry = pickFreeNumber(group.pool, isBusy, this.#d.random, tried);
      if (!entry) break;
      for (let t = 0; t < (!settings.uniqueDnis && generate ? codeTries : 1); t++) {
        attempts++;
        const accessCode = generate
          ? generateAccessCode(settings.accessCode.length, this.#d.random)
          : undefined;
        const discriminator: Discriminator = settings.uniqueDnis
          ? { kind: 'unique' }
          : accessCode !== undefined
            ? { kind: 'code', accessCode }
            : { kind: 'caller', callerNumber: callerNumber as string };
        const now = this.#d.now();
        const request: CallInRequest = {
          id: this.#d.newId(),
          groupName,
          number: entry.number,
          uniqueDnis: settings.uniqueDnis,
          createdAtMs: now,
          expiresAtMs: now + settings.expirySeconds * 1000,
          key: slotKey(groupName, entry.number, discriminator),
        };
        if (entry.description) request.description = entry.description;
        if (accessCode !== undefined) request.accessCode = accessCode;
        if (callerNumber !== undefined) request.callerNumber = callerNumber;
        // The stored record carries userData; the view and the answer do not need it.
        const value = encodeRecord(
          input.userData !== undefined ? { ...request, userData: input.userData } : request,
        );
        try {
          const revision = await this.#d.store.create(request.key, value, settings.expirySeconds);
          view.applyCreated(request, revision);
          this.#d.observer?.created(groupName, attempts);
          return request;
        } catch (err) {
          if (!(err instanceof StoreError && err.code === StoreCode.KeyExists)) throw storeFailure(err);
        }
      }
      tried.add(entry);
    }
    this.#d.observer?.exhausted(groupName);
    const nextMs = view.nextExpiryInMs(groupName);
    throw new AllocatorError(
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

  /**
   * Finds the live request an incoming call answers and consumes it: exactly one of two racing
   * matches wins (compare-and-set on the slot key's revision); the number is free again at once.
   */
  async match(
    input: MatchInput & { groupName?: string },
    allowed: GroupFilter,
  ): Promise<{ request: CallInRequest; matchedBy: MatchCriterion[] }> {
    if (input.callerNumber === undefined && input.accessCode === undefined) {
      throw new AllocatorError(
        AllocatorCode.InvalidInput,
        'give callerNumber, accessCode or both to match a call',
        {
          details: { field: 'callerNumber' },
        },
      );
    }
    const now = this.#d.now();
    const inScope = (g: string) =>
      (input.groupName === undefined || g === input.groupName) && (allowed?.(g) ?? true);
    const keys = new Set<string>();
    // Requests this replica knows about that could answer the call.
    for (const { request } of this.#d.view.onNumber(input.dialledNumber)) {
      if (inScope(request.groupName) && judgeMatch(request, input, now).matched) keys.add(request.key);
    }
    // The keys that would hold the request, straight from the store, in case the view lags.
    for (const g of this.#d.groups.withNumber(input.dialledNumber)) {
      if (!inScope(g)) continue;
      keys.add(slotKey(g, input.dialledNumber, { kind: 'unique' }));
      if (input.accessCode !== undefined)
        keys.add(slotKey(g, input.dialledNumber, { kind: 'code', accessCode: input.accessCode }));
      if (input.callerNumber !== undefined) {
        keys.add(slotKey(g, input.dialledNumber, { kind: 'caller', callerNumber: input.callerNumber }));
      }
    }
    const entries = await Promise.all(
      [...keys].map((k) => this.#d.store.get(k).catch((err: unknown) => Promise.reject(storeFailure(err)))),
    );
    const candidates: Array<{ request: CallInRequest; matchedBy: MatchCriterion[]; revision: number }> = [];
    for (const e of entries) {
      const request = e && decodeRequest(e.value);
      if (!e || !request || !inScope(request.groupName)) continue;
      const verdict = judgeMatch(request, input, now);
      if (verdict.matched) candidates.push({ request, matchedBy: verdict.matchedBy, revision: e.revision });
    }
    while (candidates.length > 0) {
      const best = bestMatch(candidates);
      if (!best) break;
      candidates.splice(candidates.indexOf(best), 1);
      if (await this.#end(best.request, best.revision, 'matched')) {
        this.#d.observer?.matched(best.request.groupName);
        return { request: best.request, matchedBy: best.matchedBy };
      }
    }
    this.#d.observer?.noMatch();
    throw new AllocatorError(
      AllocatorCode.NoMatch,
      `no live request on ${input.dialledNumber} matches this call`,
    );
  }

  /** A live request, or what became of it if this replica saw it end; REQUEST_NOT_FOUND otherwise. */
  async get(id: string, allowed: GroupFilter): Promise<RequestState> {
    const live = await this.#liveEntry(id);
    if (live && (allowed?.(live.request.groupName) ?? true)) return { state: 'live', request: live.request };
    const record = this.#d.view.historyOf(id);
    if (record && record.outcome && (allowed?.(record.request.groupName) ?? true))
      return { state: 'ended', record };
    throw notFound(id);
  }

  async cancel(id: string, allowed: GroupFilter): Promise<CallInRequest> {
    const live = await this.#liveEntry(id);
    if (!live || !(allowed?.(live.request.groupName) ?? true)) throw notFound(id);
    if (!(await this.#end(live.request, live.revision, 'cancelled'))) throw notFound(id);
    this.#d.observer?.cancelled(live.request.groupName);
    return live.request;
  }

  listLive(groupName: string, filter: { id?: string; callerNumber?: string }): CallInRequest[] {
    this.requireKnownGroup(groupName);
    return this.#d.view
      .liveRequests(groupName)
      .filter(
        (r) =>
          (filter.id === undefined || r.id === filter.id) &&
          (filter.callerNumber === undefined || r.callerNumber === filter.callerNumber),
      );
  }

  history(groupName: string, filter: { id?: string }): HistoryRecord[] {
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

  groupStatus(group: RegisteredGroup): { poolSize: number; numbersInUse: number; liveRequests: number } {
    return {
      poolSize: group.pool.length,
      numbersInUse: this.#d.view.busyCount(group.settings.groupName),
      liveRequests: this.#d.view.liveRequests(group.settings.groupName).length,
    };
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

  /** Compare-and-set removal; false when another replica (or the TTL) got there first. */
  async #end(request: CallInRequest, revision: number, outcome: RemovalReason['outcome']): Promise<boolean> {
    const reason = encodeRecord({ outcome, id: request.id, atMs: this.#d.now() });
    try {
      const removedAt = await this.#d.store.remove(request.key, revision, reason);
      this.#d.view.apply({ type: 'removed', key: request.key, revision: removedAt, reason });
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
