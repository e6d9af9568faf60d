import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  loadSettings,
  requireSettings,
  setting,
  SHARED_SETTINGS,
  type SettingsOutcome,
  type SettingValues,
} from '#lib';

/** The environment variable of a flag: `--webhook-port` → `C2C_WEBHOOK_PORT`. */
export const envName = (flag: string): string => `C2C_${flag.toUpperCase().replaceAll('-', '_')}`;

const named = (flag: string) => ({ flag, env: envName(flag) });
const PORT = { min: 0, max: 65535 } as const;

/** Every setting: a flag `--<name>` and an environment variable `C2C_<NAME>`; the flag wins. */
export const SETTINGS = {
  kubeconfig: setting.string({
    ...named('kubeconfig'),
    description: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, ~/.kube/config)',
  }),
  namespace: setting.string({
    ...named('namespace'),
    default: '',
    description: 'watch groups in this namespace only (default: all namespaces)',
  }),
  'leader-elect': setting.boolean({
    ...named('leader-elect'),
    default: true,
    description: 'elect a leader through a Lease so that one replica reconciles',
  }),
  'lease-namespace': setting.string({
    ...named('lease-namespace'),
    description:
      'namespace of the Lease and of the self-managed webhook Secret (default: $POD_NAMESPACE, --namespace, or default)',
  }),
  'lease-name': setting.string({
    ...named('lease-name'),
    default: 'click-to-call-in-operator',
    description: 'name of the leader-election Lease',
  }),
  'lease-duration-seconds': setting.duration({
    ...named('lease-duration-seconds'),
    unit: 's',
    default: 15,
    description: 'how long a Lease stays valid without renewal',
  }),
  'renew-deadline-seconds': setting.duration({
    ...named('renew-deadline-seconds'),
    unit: 's',
    default: 10,
    description: 'the leader steps down when it could not renew for this long',
  }),
  'retry-period-seconds': setting.duration({
    ...named('retry-period-seconds'),
    unit: 's',
    default: 2,
    description: 'between attempts to acquire or renew the Lease',
  }),
  identity: setting.string({
    ...named('identity'),
    description: 'this replica in the Lease (default: $POD_NAME or hostname, plus a random suffix)',
  }),
  'health-port': setting.integer({
    ...named('health-port'),
    ...PORT,
    default: 8081,
    description: 'port of /healthz and /readyz (and /metrics when --metrics-port is the same)',
  }),
  'metrics-port': setting.integer({
    ...named('metrics-port'),
    ...PORT,
    default: 8081,
    description: 'port of /metrics',
  }),
  'bind-address': setting.string({
    ...named('bind-address'),
    default: '0.0.0.0',
    description: 'address the probe, metrics and webhook servers listen on',
  }),
  webhook: setting.boolean({
    ...named('webhook'),
    default: true,
    description: 'serve the validating webhook (every replica serves it)',
  }),
  'webhook-port': setting.integer({
    ...named('webhook-port'),
    ...PORT,
    default: 9443,
    description: 'HTTPS port of the webhook',
  }),
  'webhook-cert-dir': setting.string({
    ...named('webhook-cert-dir'),
    default: '/tmp/k8s-webhook-server/serving-certs',
    description: 'directory with tls.crt and tls.key (re-read when they change)',
  }),
  'webhook-cert-reload-seconds': setting.duration({
    ...named('webhook-cert-reload-seconds'),
    unit: 's',
    default: 10,
    description: 'how often the certificate files are checked for changes',
  }),
  'webhook-self-managed': setting.boolean({
    ...named('webhook-self-managed'),
    default: false,
    description: 'create the CA and certificate in a Secret and inject caBundle, instead of reading files',
  }),
  'webhook-secret-name': setting.string({
    ...named('webhook-secret-name'),
    default: 'click-to-call-in-webhook-tls',
    description: 'Secret of the self-managed certificate',
  }),
  'webhook-service-name': setting.string({
    ...named('webhook-service-name'),
    default: 'click-to-call-in-webhook',
    description: 'Service in front of the webhook (names in the self-managed certificate)',
  }),
  'webhook-ip-addresses': setting.string({
    ...named('webhook-ip-addresses'),
    default: '',
    description: 'comma-separated IP addresses for the self-managed certificate',
  }),
  'webhook-client-ca-file': setting.string({
    ...named('webhook-client-ca-file'),
    default: '',
    description:
      'CA of the client certificate the API server presents to webhooks: callers without one it signed are refused at the TLS handshake',
  }),
  'webhook-client-names': setting.string({
    ...named('webhook-client-names'),
    default: '',
    description:
      'comma-separated common or DNS names of the client certificates served (with --webhook-client-ca-file)',
  }),
  'webhook-configuration-name': setting.string({
    ...named('webhook-configuration-name'),
    default: 'click-to-call-in',
    description: 'ValidatingWebhookConfiguration that gets the self-managed caBundle',
  }),
  'webhook-max-body-bytes': setting.integer({
    ...named('webhook-max-body-bytes'),
    default: 6 * 1024 * 1024,
    description: 'largest AdmissionReview accepted (an UPDATE carries the group twice)',
  }),
  'webhook-timeout-seconds': setting.duration({
    ...named('webhook-timeout-seconds'),
    unit: 's',
    default: 10,
    description: 'a webhook request taking longer is cut off',
  }),
  'max-concurrent-reconciles': setting.integer({
    ...named('max-concurrent-reconciles'),
    min: 1,
    default: 2,
    description: 'reconcile workers (one key is never reconciled twice at once)',
  }),
  'resync-period-seconds': setting.duration({
    ...named('resync-period-seconds'),
    unit: 's',
    default: 600,
    description: 'relist and reconcile every group this often',
  }),
  'watchdog-seconds': setting.duration({
    ...named('watchdog-seconds'),
    unit: 's',
    default: 90,
    description: 'restart a watch that delivered nothing, not even a bookmark, for this long',
  }),
  'queue-rate-per-second': setting.number({
    ...named('queue-rate-per-second'),
    default: 10,
    description: 'overall rate of retried reconciles',
  }),
  'queue-burst': setting.integer({
    ...named('queue-burst'),
    default: 100,
    description: 'burst of retried reconciles',
  }),
  'queue-max-backoff-seconds': setting.duration({
    ...named('queue-max-backoff-seconds'),
    unit: 's',
    default: 300,
    description: 'cap of the per-group retry backoff',
  }),
  'shutdown-grace-seconds': SHARED_SETTINGS.shutdownGraceSeconds,
  'log-level': SHARED_SETTINGS.logLevel,
};

export type OperatorConfig = SettingValues<typeof SETTINGS>;

const PROGRAM = {
  usage: 'node operator/src/main.ts [flags]',
  summary:
    'click-to-call-in operator: turns ClickToCallInGroup resources into ConfigMaps and serves their validating webhook.',
};

/** Settings from flags, environment and defaults; or the help text; or every error. Never exits. */
export function readOperatorConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): SettingsOutcome<OperatorConfig> {
  return loadSettings(SETTINGS, argv, env, PROGRAM);
}

/** The settings, or a SettingsError naming every bad flag and variable (or carrying the help text). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig {
  return requireSettings(readOperatorConfig(argv, env));
}

export function defaultIdentity(env: NodeJS.ProcessEnv): string {
  return `${env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
}
