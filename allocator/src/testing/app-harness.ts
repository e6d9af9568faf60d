import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import type { ResolvedGroup } from '#api';
import { buildApp, buildMetricsApp } from '../http/app.ts';
import { ApiKeyAuthenticator, type ApiKeyConfig } from '../http/auth.ts';
import { DEFAULT_MATCH_GUARD_POLICY, SLOT_PREFIX, type MatchGuardPolicy } from '../domain/index.ts';
import { GroupRegistry } from '../groups/index.ts';
import { createMetrics, type AllocatorMetrics } from '../metrics.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import type { EpochUnit } from '../http/routes/ges-compat.ts';
import { CallInService } from '../service/call-in-service.ts';
import { LiveView } from '../service/live-view.ts';
import { MatchGuard } from '../service/match-guard.ts';
import { MemoryStore } from '../store/index.ts';

/** A group of `size` numbers +18005551000…, generating 6-digit codes, unless overridden. */
export function group(name: string, over: Partial<ResolvedGroup> = {}, size = 3): ResolvedGroup {
  return {
    groupName: name,
    accessCode: { generate: true, length: 6 },
    expirySeconds: 30,
    uniqueDnis: false,
    dnisPool: Array.from({ length: size }, (_, i) => ({ number: `+1800555${String(1000 + i)}` })),
    ...over,
  };
}

export interface AppHarness {
  app: FastifyInstance;
  /** The operations app: /metrics, /healthz, /readyz. */
  metricsApp: FastifyInstance;
  store: MemoryStore;
  clock: { now: number };
  groups: GroupRegistry;
  metrics: AllocatorMetrics;
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
}

const open: AppHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.app.close();
    await h.metricsApp.close();
    await h.store.close();
  }
});

/**
 * The allocator's app on the memory store with a clock the test moves, and a seeded random
 * source; closed after each test.
 */
export async function setup(options: AppHarnessOptions = {}): Promise<AppHarness> {
  const clock = { now: Date.UTC(2030, 0, 1) };
  const now = () => clock.now;
  const store = new MemoryStore({ now, sweepIntervalMs: 3_600_000 });
  const groups = new GroupRegistry();
  for (const g of options.groups ?? [group('auto_insurance')]) groups.set(`test:${g.groupName}`, g);
  const view = new LiveView({ now, historyMs: 3_600_000, historyMaxEntries: 1000 });
  const metrics = createMetrics(groups, () => view);
  await store.watch(SLOT_PREFIX, (e) => view.apply(e));
  let r = 7;
  const service = new CallInService({
    store,
    groups,
    view,
    random: { int: (max) => (r = (r * 31 + 17) % 1_000_003) % max },
    now,
    newId: randomUUID,
    observer: metrics.observer,
    ...(options.guard === null
      ? {}
      : { guard: new MatchGuard(store, { ...DEFAULT_MATCH_GUARD_POLICY, ...options.guard }, now) }),
  });
  const app = buildApp({
    service,
    groups,
    auth: new ApiKeyAuthenticator(options.keys ?? []),
    rateLimiter: new RateLimiter(options.rate ?? 0, options.rate ?? 1, now),
    ...(options.authFailures
      ? {
          authFailureLimiter: new RateLimiter(
            options.authFailures.perSecond,
            options.authFailures.burst,
            now,
          ),
        }
      : {}),
    metrics,
    bodyLimitBytes: options.bodyLimit ?? 16_384,
    ...(options.gesExpirationUnit ? { gesExpirationUnit: options.gesExpirationUnit } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    isReady: () => ({ ready: view.synced }),
  });
  const metricsApp = buildMetricsApp({ metrics, isReady: () => ({ ready: view.synced }) });
  const h = { app, metricsApp, store, clock, groups, metrics };
  open.push(h);
  return h;
}

export const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(body),
});
