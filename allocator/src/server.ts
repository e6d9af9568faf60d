import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ApiKeysSource, readApiKeysFile } from './http/api-keys-source.ts';
import type { Logger } from '#lib';
import { buildApp, buildMetricsApp } from './http/app.ts';
import { ApiKeyAuthenticator } from './http/auth.ts';
import type { AllocatorConfig } from './config.ts';
import { SLOT_PREFIX, type RandomSource } from './domain/index.ts';
import { ConfigMapSource, DirSource, GroupRegistry } from './groups/index.ts';
import { createMetrics } from './metrics.ts';
import { RateLimiter } from './http/rate-limit.ts';
import { createRequestIdGenerator } from './request-ids.ts';
import { CallInService } from './service/call-in-service.ts';
import { LiveView } from './service/live-view.ts';
import { MatchGuard } from './service/match-guard.ts';
import { MemoryStore, NatsStore, type CoordinationStore, type StoreWatch } from './store/index.ts';

export const cryptoRandom: RandomSource = { int: (max) => randomInt(max) };

export interface Allocator {
  app: FastifyInstance;
  /** `/metrics`, `/healthz`, `/readyz`, listened on `--metrics-port`. */
  metricsApp: FastifyInstance;
  groups: GroupRegistry;
  store: CoordinationStore;
  /** Stop answering ready, close the HTTP server (in-flight requests finish), then the sources and the store. */
  close(): Promise<void>;
}

/** Wires the store, the group sources, the service and the HTTP app from a configuration. */
export async function createAllocator(config: AllocatorConfig, log: Logger): Promise<Allocator> {
  const keys = config.apiKeysFile ? await readApiKeysFile(config.apiKeysFile) : [];
  const auth = new ApiKeyAuthenticator(keys);
  if (auth.open && !isLoopback(config.host) && !config.insecureOpen) {
    throw new Error(
      `no API keys are configured (--api-keys-file) and --host ${config.host} is not a loopback address: ` +
        'anyone who can reach the port could take and match numbers. Configure keys, or pass --insecure-open.',
    );
  }
  if (auth.open) log.warn('NO API KEYS CONFIGURED: the API is open to anyone who can reach it');

  const store: CoordinationStore = config.natsUrl
    ? await NatsStore.open({
        url: config.natsUrl,
        bucket: config.natsBucket,
        replicas: config.natsReplicas,
        markerTtlMs: config.natsMarkerTtlMs,
        ...(config.natsCredsFile ? { credentials: await readFile(config.natsCredsFile) } : {}),
        ...(config.natsCaFile ? { caFile: config.natsCaFile } : {}),
        log: log.child({ part: 'nats-store' }),
      })
    : new MemoryStore();
  if (store.kind === 'memory')
    log.warn('using the in-memory store: run ONE replica only (set --nats-url for more)');

  const groups = new GroupRegistry();
  const metrics = createMetrics(groups, () => liveView);
  const liveView: LiveView = new LiveView({
    now: Date.now,
    historyMs: config.historySeconds * 1000,
    historyMaxEntries: config.historyMaxEntries,
    onEnded: (r, outcome) => metrics.requestEnded(r.groupName, outcome),
  });
  groups.onChange((changes, conflicts) => {
    for (const c of changes) log.info({ group: c.groupName }, `group ${c.type}`);
    for (const c of conflicts) log.warn(c);
  });

  const sources: Array<{ stop(): void }> = [];
  if (config.apiKeysFile && !auth.open) {
    const keysSource = new ApiKeysSource(
      config.apiKeysFile,
      auth,
      log.child({ part: 'api-keys' }),
      config.apiKeysPollMs,
    );
    await keysSource.start();
    sources.push(keysSource);
  }
  let configMaps: ConfigMapSource | undefined;
  let watch: StoreWatch | undefined;
  let draining = false;
  try {
    if (config.groupsDir) {
      const dir = new DirSource(
        config.groupsDir,
        groups,
        log.child({ part: 'groups-dir' }),
        config.groupsPollMs,
      );
      await dir.start();
      sources.push(dir);
    }
    if (config.kubernetes) {
      const cms = new ConfigMapSource(groups, {
        namespace: config.namespace,
        kubeconfig: config.kubeconfig,
        log: log.child({ part: 'configmaps' }),
      });
      sources.push(cms);
      configMaps = cms;
      // Listen before the first list arrives: /healthz answers, /readyz says why not ready yet.
      await cms.start(false);
    }
    watch = await store.watch(SLOT_PREFIX, (e) => liveView.apply(e), {
      isKnown: (key, revision) => liveView.knows(key, revision),
    });
  } catch (err) {
    for (const s of sources) s.stop();
    await store.close();
    throw err;
  }

  const service = new CallInService({
    store,
    groups,
    view: liveView,
    random: cryptoRandom,
    now: Date.now,
    newId: createRequestIdGenerator(),
    observer: metrics.observer,
    guard: new MatchGuard(
      store,
      {
        failuresPerNumber: config.matchFailuresPerNumber,
        windowSeconds: config.matchFailureWindowSeconds,
        lockoutSeconds: config.matchLockoutSeconds,
        maxLockoutSeconds: config.matchMaxLockoutSeconds,
        failuresPerRequest: config.matchFailuresPerRequest,
      },
      Date.now,
    ),
  });
  const isReady = () => {
    if (draining) return { ready: false, reason: 'shutting down' };
    if (!store.healthy()) return { ready: false, reason: 'coordination store unavailable' };
    if (!liveView.synced) return { ready: false, reason: 'store view not synced' };
    if (configMaps && !configMaps.synced) return { ready: false, reason: 'group ConfigMaps not listed yet' };
    return { ready: true };
  };
  const metricsApp = buildMetricsApp({ metrics, isReady });
  const app = buildApp({
    service,
    groups,
    auth,
    rateLimiter: new RateLimiter(config.rateLimitPerSecond, config.rateLimitBurst),
    authFailureLimiter: new RateLimiter(config.authFailuresPerSecond, config.authFailureBurst),
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    gesExpirationUnit: config.gesExpirationUnit,
    logger: log,
    isReady,
  });

  return {
    app,
    metricsApp,
    groups,
    store,
    async close() {
      draining = true;
      if (config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.drainDelayMs));
      // Node closes idle keep-alive connections once, when close starts; a connection whose request
      // finishes later would hold the server open until its keep-alive timeout, so sweep until closed.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      await app.close().finally(() => clearInterval(sweep));
      await metricsApp.close();
      for (const s of sources) s.stop();
      await watch?.stop();
      await store.close();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
