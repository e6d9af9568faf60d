import type { FastifyInstance } from 'fastify';
import type { Logger } from '#lib';
import { LiveView, UNIQUE_SLOTS, type MatchGuardPolicy, type RandomSource } from './domain/index.ts';
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
import { RecordsFollower } from './service/records-follower.ts';
import { keyMatches, type CoordinationStore } from './store/index.ts';

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
 * Longest time between two reads of the records (ms): well inside what the records keep at any
 * rate a cluster serves (200,000 changes by default: 40,000 a second for 5 s).
 */
const RECORDS_READ_INTERVAL_MS = 5_000;

/** nats-server removes messages past their per-message TTL on a timer: up to about a second late. */
const NATS_TTL_LAG_MS = 1_000;

/**
 * Connects the parts: the live view (fed by the store's watch), the metrics that read it, the
 * service, and the HTTP apps. Nothing is listened on: the caller does, or tests use `app.inject()`.
 */
export async function assembleAllocator(parts: AllocatorParts): Promise<Allocator> {
  const { store, groups, auth, now, settings } = parts;
  const view = new LiveView({
    now,
    historyMs: settings.historySeconds * 1000,
    historyMaxEntries: settings.historyMaxEntries,
    ttlLagMs: store.kind === 'nats' ? NATS_TTL_LAG_MS : 0,
    watches: (key) => keyMatches(key, UNIQUE_SLOTS),
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
  // The history period from the records, then the watch of the keys that steer allocation (the
  // unique-DNIS numbers); everything else the view reads from the records when something reads it.
  const records = new RecordsFollower(store, view, parts.logger);
  await records.start(now() - settings.historySeconds * 1000);
  const watch = await store.watch(UNIQUE_SLOTS, (e) => view.apply(e), {
    isKnown: (key, revision) => view.knows(key, revision),
  });
  // And at least this often whatever reads: the records keep a bounded number of changes, and a
  // change dropped before this replica read it (a removal, say) would be missing from its view.
  const recordsTimer = setInterval(() => void records.catchUp(), RECORDS_READ_INTERVAL_MS);
  recordsTimer.unref();
  const service = new CallInService({
    store,
    groups,
    view,
    random: parts.random,
    now,
    newId: parts.newId,
    observer: metrics.observer,
    catchUp: () => records.catchUp(),
    ...(settings.matchGuard ? { guard: new MatchGuard(store, settings.matchGuard, now) } : {}),
  });
  // Gauges read the view: a scrape first reads what other replicas wrote since the last one.
  const metricsApp = buildMetricsApp({ metrics, isReady, beforeScrape: () => records.catchUp() });
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
      clearInterval(recordsTimer);
      await watch.stop();
    },
  };
}
