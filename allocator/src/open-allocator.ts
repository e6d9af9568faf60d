import { readFile } from 'node:fs/promises';
import type { Logger } from '#lib';
import { assembleAllocator, type Allocator } from './assemble.ts';
import type { AllocatorConfig } from './config.ts';
import { cryptoRandom, SLOT_PREFIX } from './domain/index.ts';
import { ConfigMapSource, DirSource, GroupRegistry } from './groups/index.ts';
import { ApiKeyAuthenticator, ApiKeysSource, readApiKeysFile } from './http/index.ts';
import { createRequestIdGenerator } from './request-ids.ts';
import { MemoryStore, NatsStore, type CoordinationStore } from './store/index.ts';

/**
 * Opens what a configuration names (the API keys file, the NATS or in-memory store, the group
 * sources) and assembles the allocator from them. Its `close` also stops the sources and the store.
 */
export async function openAllocator(config: AllocatorConfig, log: Logger): Promise<Allocator> {
  const keys = config.apiKeysFile ? await readApiKeysFile(config.apiKeysFile) : [];
  const auth = new ApiKeyAuthenticator(keys);
  if (auth.open && !isLoopback(config.host) && !config.insecureOpen) {
    throw new Error(
      `no API keys are configured (--api-keys-file) and --host ${config.host} is not a loopback address: ` +
        'anyone who can reach the port could take and match numbers. Configure keys, or pass --insecure-open.',
    );
  }
  if (auth.open) log.warn('NO API KEYS CONFIGURED: the API is open to anyone who can reach it');

  // The records keep what the history shows: each ended request is two changes (its create and its end).
  const records = {
    prefix: SLOT_PREFIX,
    maxAgeMs: config.historySeconds * 1000,
    maxChanges: 2 * config.historyMaxEntries,
  };
  const store: CoordinationStore = config.natsUrl
    ? await NatsStore.open({
        url: config.natsUrl,
        bucket: config.natsBucket,
        replicas: config.natsReplicas,
        markerTtlMs: config.natsMarkerTtlMs,
        ...(config.natsCredsFile ? { credentials: await readFile(config.natsCredsFile) } : {}),
        ...(config.natsCaFile ? { caFile: config.natsCaFile } : {}),
        records,
        log: log.child({ part: 'nats-store' }),
      })
    : new MemoryStore({ records });
  if (store.kind === 'memory')
    log.warn('using the in-memory store: run ONE replica only (set --nats-url for more)');

  const groups = new GroupRegistry();
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
  let allocator: Allocator;
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
    allocator = await assembleAllocator({
      store,
      groups,
      auth,
      now: Date.now,
      random: cryptoRandom,
      newId: createRequestIdGenerator(),
      settings: {
        ...config,
        matchGuard: {
          failuresPerNumber: config.matchFailuresPerNumber,
          windowSeconds: config.matchFailureWindowSeconds,
          lockoutSeconds: config.matchLockoutSeconds,
          maxLockoutSeconds: config.matchMaxLockoutSeconds,
          failuresPerRequest: config.matchFailuresPerRequest,
        },
      },
      logger: log,
      groupsNotReady: () =>
        configMaps && !configMaps.synced ? 'group ConfigMaps not listed yet' : undefined,
    });
  } catch (err) {
    for (const s of sources) s.stop();
    await store.close();
    throw err;
  }

  return {
    ...allocator,
    async close() {
      await allocator.close();
      for (const s of sources) s.stop();
      await store.close();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
