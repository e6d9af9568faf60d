import type { FastifyInstance } from 'fastify';
import { errorMessage, type Logger } from '#lib';
import { LiveView, SLOT_PREFIX, type MatchGuardPolicy, type RandomSource } from './domain/index.ts';
import type { GroupRegistry } from './groups/index.ts';
import {
  buildApp,
  buildMetricsApp,
  RateLimiter,
  type ApiKeyAuthenticator,
  type EpochUnit,
} from './http/index.ts';
import { createMetrics, type AllocatorMetrics } from './metrics.ts';
import { CallInService } from './service/call-in-service.ts';
import { MatchGuard } from './service/match-guard.ts';
import type { CoordinationStore, StoreWatch } from './store/index.ts';

/** How long a read waits for this replica's view to reflect writes made through other replicas. */
const CATCH_UP_TIMEOUT_MS = 2_000;

/** The settings the assembly reads; production takes them from the AllocatorConfig. */
export interface AssemblySettings {
  historySeconds: number;
  historyMaxEntries: number;
  /** Failed-match limits; undefined: failed matches are not limited. */
  matchGuard: MatchGuardPolicy | undefined;
  /** Requests per API key (or address, when open); 0: unlimited. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Failed authentications per address; 0: unlimited. */
  authFailuresPerSecond: number;
  authFailureBurst: number;
  bodyLimitBytes: number;
  /** Default 10 s (see AppDeps). */
  requestTimeoutMs?: number;
  /** Default milliseconds. */
  gesExpirationUnit?: EpochUnit;
  /** How long to answer not-ready before closing the HTTP server. */
  drainDelayMs: number;
}

/** What the allocator is assembled from: production opens them from its configuration, tests make them. */
export interface AllocatorParts {
  store: CoordinationStore;
  groups: GroupRegistry;
  auth: ApiKeyAuthenticator;
  now: () => number;
  random: RandomSource;
  /** Ids of new call-in requests. */
  newId: () => string;
  settings: AssemblySettings;
  logger?: Logger;
  /** Why the group sources are not ready yet (undefined: they are). */
  groupsNotReady?: () => string | undefined;
}

export interface Allocator {
  app: FastifyInstance;
  /** `/metrics`, `/healthz`, `/readyz`, listened on `--metrics-port`. */
  metricsApp: FastifyInstance;
  groups: GroupRegistry;
  store: CoordinationStore;
  service: CallInService;
  view: LiveView;
  metrics: AllocatorMetrics;
  /** Stop answering ready, close the HTTP servers (in-flight requests finish), then stop the store's watch. */
  close(): Promise<void>;
}

/**
 * Connects the parts: the live view (fed by the store's watch), the metrics that read it, the
 * service, and the HTTP apps. Nothing is listened on: the caller does, or tests use `app.inject()`.
 */
/** nats-server removes messages past their per-message TTL on a timer: up to about a second late. */
const NATS_TTL_LAG_MS = 1_000;

export async function assembleAllocator(parts: AllocatorParts): Promise<Allocator> {
  const { store, groups, auth, now, settings } = parts;
  const view = new LiveView({
    now,
    historyMs: settings.historySeconds * 1000,
    historyMaxEntries: settings.historyMaxEntries,
    ttlLagMs: store.kind === 'nats' ? NATS_TTL_LAG_MS : 0,
  });
  let draining = false;
  const isReady = () => {
    if (draining) return { ready: false, reason: 'shutting down' };
    if (!store.healthy()) return { ready: false, reason: 'coordination store unavailable' };
    if (!view.synced) return { ready: false, reason: 'store view not synced' };
    const groupsNotReady = parts.groupsNotReady?.();
    if (groupsNotReady !== undefined) return { ready: false, reason: groupsNotReady };
    return { ready: true };
  };
  const metrics = createMetrics(groups, view, {
    storeHealthy: () => store.healthy(),
    ready: () => isReady().ready,
  });
  const watch = await watchWithRecords(store, view, now, settings.historySeconds * 1000, parts.logger);
  const service = new CallInService({
    store,
    groups,
    view,
    random: parts.random,
    now,
    newId: parts.newId,
    observer: metrics.observer,
    catchUp: async () => watch.reached(await store.lastRecordedRevision(), CATCH_UP_TIMEOUT_MS),
    ...(settings.matchGuard ? { guard: new MatchGuard(store, settings.matchGuard, now) } : {}),
  });
  const metricsApp = buildMetricsApp({ metrics, isReady });
  const app = buildApp({
    service,
    groups,
    auth,
    rateLimiter: new RateLimiter(settings.rateLimitPerSecond, settings.rateLimitBurst, now),
    authFailureLimiter: new RateLimiter(settings.authFailuresPerSecond, settings.authFailureBurst, now),
    metrics,
    bodyLimitBytes: settings.bodyLimitBytes,
    ...(settings.requestTimeoutMs !== undefined ? { requestTimeoutMs: settings.requestTimeoutMs } : {}),
    ...(settings.gesExpirationUnit ? { gesExpirationUnit: settings.gesExpirationUnit } : {}),
    ...(parts.logger ? { logger: parts.logger } : {}),
    isReady,
  });

  return {
    app,
    metricsApp,
    groups,
    store,
    service,
    view,
    metrics,
    async close() {
      draining = true;
      if (settings.drainDelayMs > 0) await new Promise((r) => setTimeout(r, settings.drainDelayMs));
      // Node closes idle keep-alive connections once, when close starts; a connection whose request
      // finishes later would hold the server open until its keep-alive timeout, so sweep until closed.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      await app.close().finally(() => clearInterval(sweep));
      await metricsApp.close();
      await watch.stop();
    },
  };
}

/**
 * Fills the view with the store's records of the history period (what happened before this replica
 * started, the same on every replica), then starts the watch, then replays the moment between the
 * two so that a request ending in it is recorded too. A store whose records cannot be read leaves
 * the history to what the watch sees from now on.
 */
async function watchWithRecords(
  store: CoordinationStore,
  view: LiveView,
  now: () => number,
  historyMs: number,
  log: Logger | undefined,
): Promise<StoreWatch> {
  const replay = async (sinceMs: number) => {
    try {
      await store.replayRecords(sinceMs, (change) => view.applyRecorded(change));
    } catch (err) {
      log?.warn({ err }, `the store's records could not be read: ${errorMessage(err)}`);
    }
  };
  await replay(now() - historyMs);
  const replayedAtMs = now();
  const watch = await store.watch(SLOT_PREFIX, (e) => view.apply(e), {
    isKnown: (key, revision) => view.knows(key, revision),
  });
  await replay(replayedAtMs - REPLAY_OVERLAP_MS);
  return watch;
}

/** How far back the second replay reaches before the end of the first (clock steps, sourcing lag). */
const REPLAY_OVERLAP_MS = 2_000;
