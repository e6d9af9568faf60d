/** The operator process: flags and environment → wiring. Run with `--help` for the settings. */
import { readFile } from 'node:fs/promises';
import { GROUP_API, GROUP_CONFIG_SELECTOR, type ConfigMapObject, type GroupObject } from '#api';
import { createLogger, onShutdownSignal, settingsOrExit } from '#lib';
import {
  EventRecorder,
  Informer,
  KubeClient,
  LeaderElector,
  configMapRef,
  loadKubeConfig,
  resourceRef,
} from '#lib/kube';
import { defaultIdentity, readOperatorConfig } from './config.ts';
import { NOT_GROUP_CONFIG_SELECTOR, setupGroupController } from './controller/group-controller.ts';
import { GroupReconciler } from './controller/group-reconciler.ts';
import { WorkQueue } from './controller/work-queue.ts';
import { Manager } from './manager.ts';
import { createMetrics } from './metrics.ts';
import { groupValidator } from './webhook/group-validator.ts';
import { injectCaBundle, selfManagedCertificate } from './webhook/self-managed-cert.ts';
import { WebhookServer, certificateFiles } from './webhook/server.ts';

const { settings: config, warnings } = settingsOrExit(
  readOperatorConfig(process.argv.slice(2), process.env),
  'operator',
);
const log = createLogger('operator', { level: config['log-level'] });
for (const warning of warnings) log.warn(warning);
const client = new KubeClient(loadKubeConfig(config.kubeconfig));
const namespace = config.namespace || undefined;
const leaseNamespace = config['lease-namespace'] ?? process.env.POD_NAMESPACE ?? namespace ?? 'default';
const watchdogMs = config['watchdog-seconds'] * 1000;
const resyncIntervalMs = config['resync-period-seconds'] * 1000;

const informerOptions = { watchdogMs, resyncIntervalMs };
const groups = new Informer<GroupObject>(client, {
  name: 'groups',
  resource: resourceRef(GROUP_API, namespace),
  ...informerOptions,
});
const owned = new Informer<ConfigMapObject>(client, {
  name: 'group-configs',
  resource: configMapRef(namespace),
  labelSelector: GROUP_CONFIG_SELECTOR,
  ...informerOptions,
});
const sources = new Informer<ConfigMapObject>(client, {
  name: 'pool-sources',
  resource: configMapRef(namespace),
  labelSelector: NOT_GROUP_CONFIG_SELECTOR,
  ...informerOptions,
});

const metrics = createMetrics(() => groups.list());
for (const informer of [groups, owned, sources]) {
  informer.events.on('event', (e) => {
    metrics.observeInformer(e);
    if (e.type === 'error')
      log.warn({ informer: e.informer, err: e.error, delayMs: e.delayMs }, 'list/watch failed');
    else if (e.type === 'gone' || e.type === 'watchdog')
      log.info({ informer: e.informer, event: e.type }, 'watch restarted');
  });
}

const queue = new WorkQueue({
  ratePerSecond: config['queue-rate-per-second'],
  burst: config['queue-burst'],
  maxDelayMs: config['queue-max-backoff-seconds'] * 1000,
});
const recorder = new EventRecorder(client, 'click-to-call-in-operator', (err) =>
  log.warn({ err }, 'event not recorded'),
);
const reconciler = new GroupReconciler({
  client,
  groups,
  owned,
  sources,
  recorder,
  log,
  onConfigMapWrite: (action) => metrics.configMapWrites.inc({ action }),
});
const controller = setupGroupController({ groups, owned, sources }, reconciler, queue, {
  log,
  concurrency: config['max-concurrent-reconciles'],
  resyncIntervalMs,
  hooks: {
    onReconciled: (outcome, seconds) => metrics.observeReconcile(outcome, seconds),
    onQueueDepth: (depth) => metrics.queueDepth.set(depth),
  },
});

const identity = config.identity ?? defaultIdentity(process.env);
const elector = config['leader-elect']
  ? new LeaderElector(client, {
      namespace: leaseNamespace,
      name: config['lease-name'],
      identity,
      leaseDurationMs: config['lease-duration-seconds'] * 1000,
      renewDeadlineMs: config['renew-deadline-seconds'] * 1000,
      retryPeriodMs: config['retry-period-seconds'] * 1000,
    })
  : undefined;
elector?.events.on('leader', (holder) => log.info({ leader: holder, identity }, 'leader observed'));
elector?.events.on('error', (err) => log.warn({ err }, 'leader election error'));

const manager = new Manager({
  log,
  registry: metrics.registry,
  healthPort: config['health-port'],
  metricsPort: config['metrics-port'],
  bindAddress: config['bind-address'],
  elector,
  onLeaderChange: (leading) => metrics.leader.set(leading ? 1 : 0),
});

for (const informer of [groups, owned, sources]) {
  manager.add({
    name: `informer/${informer.name}`,
    needLeaderElection: false,
    start: (signal) => informer.run(signal),
  });
  manager.addReadyCheck(`informer/${informer.name}`, () => informer.hasSynced);
}
// The caches must be warm before the first reconcile, or reconcile would act on a partial view.
manager.add({
  name: 'controller',
  needLeaderElection: true,
  start: async (signal) => {
    await Promise.all([groups.waitForSync(), owned.waitForSync(), sources.waitForSync()]);
    if (!signal.aborted) await controller.start(signal);
  },
});

if (config.webhook) {
  const caSync = new AbortController();
  const selfManaged = config['webhook-self-managed']
    ? selfManagedCertificate({
        client,
        namespace: leaseNamespace,
        secretName: config['webhook-secret-name'],
        dnsNames: [
          `${config['webhook-service-name']}.${leaseNamespace}.svc`,
          `${config['webhook-service-name']}.${leaseNamespace}.svc.cluster.local`,
          config['webhook-service-name'],
        ],
        ipAddresses: config['webhook-ip-addresses'].split(',').filter(Boolean),
        log,
      })
    : undefined;
  const certificate = selfManaged ?? certificateFiles(config['webhook-cert-dir']);
  const webhook = new WebhookServer({
    port: config['webhook-port'],
    host: config['bind-address'],
    certificate,
    reloadIntervalMs: config['webhook-cert-reload-seconds'] * 1000,
    maxBodyBytes: config['webhook-max-body-bytes'],
    timeoutMs: config['webhook-timeout-seconds'] * 1000,
    ...(config['webhook-client-ca-file']
      ? {
          clientAuth: {
            caPem: await readFile(config['webhook-client-ca-file'], 'utf8'),
            allowedNames: config['webhook-client-names'].split(',').filter(Boolean),
          },
        }
      : {}),
    review: groupValidator(client, groups, { namespace }),
    log,
    onReviewed: (operation, result, seconds) => {
      metrics.webhookRequests.inc({ operation, result });
      metrics.webhookDuration.observe({ operation }, seconds);
    },
  });
  manager.addServer({
    name: 'webhook',
    start: async () => {
      await webhook.start();
      if (selfManaged) {
        void injectCaBundle(
          client,
          config['webhook-configuration-name'],
          selfManaged.caPem(),
          caSync.signal,
          log,
        );
      }
    },
    stop: async () => {
      caSync.abort();
      await webhook.stop();
    },
  });
  manager.addReadyCheck('webhook', () => webhook.listening);
}

onShutdownSignal(
  async () => {
    await manager.stop();
    client.close();
  },
  log,
  config['shutdown-grace-seconds'] * 1000,
);

log.info(
  { identity, namespace: namespace ?? '(all)', leaderElect: config['leader-elect'] },
  'operator starting',
);
manager.start().then(
  async (outcome) => {
    if (outcome === 'lost') {
      log.error('leadership lost: exiting so that a fresh replica campaigns');
      await manager.stop();
      process.exit(1);
    }
  },
  (err: unknown) => {
    log.fatal({ err }, 'operator failed to start');
    process.exit(1);
  },
);
