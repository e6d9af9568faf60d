import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import type { ResolvedGroup } from '#api';
import { assembleAllocator, type Allocator } from '../assemble.ts';
import { DEFAULT_MATCH_GUARD_POLICY, type MatchGuardPolicy, type RandomSource } from '../domain/index.ts';
import { GroupRegistry } from '../groups/index.ts';
import { ApiKeyAuthenticator, type ApiKeyConfig, type EpochUnit } from '../http/index.ts';
import { MemoryStore, type CoordinationStore } from '../store/index.ts';

/** A group of `size` numbers +18005551000…, generating 6-digit codes, unless overridden. */
export function group(name: string, over: Partial<ResolvedGroup> = {}, size = 3): ResolvedGroup {
  return {
    groupName: name,
    accessCode: { generate: true, length: 6 },
    expirySeconds: 30,
    uniqueDnis: false,
    coolDownSeconds: 0,
    selection: { strategy: 'random', stickySeconds: 0 },
    dnisPool: Array.from({ length: size }, (_, i) => ({ number: `+1800555${String(1000 + i)}` })),
    ...over,
  };
}

export interface AppHarness extends Allocator {
  store: MemoryStore;
  clock: { now: number };
}

export interface AppHarnessOptions {
  groups?: ResolvedGroup[];
  keys?: ApiKeyConfig[];
  rate?: number;
  bodyLimit?: number;
  /** Failed-match limits; null: none. */
  guard?: Partial<MatchGuardPolicy> | null;
  gesExpirationUnit?: EpochUnit;
  requestTimeoutMs?: number;
  /** Failed authentications per second per address (and burst); none when absent. */
  authFailures?: { perSecond: number; burst: number };
  /** Default: a repeatable sequence. */
  random?: RandomSource;
  /** Default: random UUIDs. */
  newId?: () => string;
  /** Another allocator's store and clock, to run replicas on one store (closed by its own harness). */
  shareWith?: AppHarness;
  /** What the allocator is given in place of the store (a wrapper of it, e.g. one that delays its watch). */
  storeSeenAs?: (store: MemoryStore) => CoordinationStore;
}

/**
 * The allocator as production assembles it, on the memory store with a clock the test moves and a
 * repeatable random source. The caller closes it (which closes the store too); see `setup`.
 */
export async function testAllocator(options: AppHarnessOptions = {}): Promise<AppHarness> {
  const clock = options.shareWith?.clock ?? { now: Date.UTC(2030, 0, 1) };
  const now = () => clock.now;
  const store = options.shareWith?.store ?? new MemoryStore({ now, sweepIntervalMs: 3_600_000 });
  const groups = new GroupRegistry();
  for (const g of options.groups ?? [group('auto_insurance')]) groups.set(`test:${g.groupName}`, g);
  let r = 7;
  const allocator = await assembleAllocator({
    store: options.storeSeenAs?.(store) ?? store,
    groups,
    auth: new ApiKeyAuthenticator(options.keys ?? []),
    now,
    random: options.random ?? { int: (max) => (r = (r * 31 + 17) % 1_000_003) % max },
    newId: options.newId ?? randomUUID,
    settings: {
      historySeconds: 3600,
      historyMaxEntries: 1000,
      matchGuard: options.guard === null ? undefined : { ...DEFAULT_MATCH_GUARD_POLICY, ...options.guard },
      rateLimitPerSecond: options.rate ?? 0,
      rateLimitBurst: options.rate ?? 1,
      authFailuresPerSecond: options.authFailures?.perSecond ?? 0,
      authFailureBurst: options.authFailures?.burst ?? 1,
      bodyLimitBytes: options.bodyLimit ?? 16_384,
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.gesExpirationUnit ? { gesExpirationUnit: options.gesExpirationUnit } : {}),
      drainDelayMs: 0,
    },
  });
  return {
    ...allocator,
    store,
    clock,
    async close() {
      await allocator.close();
      if (!options.shareWith) await store.close();
    },
  };
}

/**
 * The memory store with some of its methods replaced (e.g. a watch that lags, a create that fails),
 * the others its own: what a test gives an allocator as `storeSeenAs`.
 */
export function storeWith(store: MemoryStore, replaced: Partial<CoordinationStore>): CoordinationStore {
  return new Proxy(store, {
    get(target, property) {
      const own = Reflect.get(replaced, property) as unknown;
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const open: AppHarness[] = [];
afterEach(async () => {
  // Last opened first: an allocator sharing another's store closes before the store does.
  for (const h of open.splice(0).reverse()) await h.close();
});

/** The test allocator (see `testAllocator`), closed after each test. */
export async function setup(options: AppHarnessOptions = {}): Promise<AppHarness> {
  const h = await testAllocator(options);
  open.push(h);
  return h;
}

export const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(body),
});
