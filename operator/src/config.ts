import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

type Kind = 'string' | 'number' | 'boolean';

interface Setting {
  kind: Kind;
  default: string | number | boolean | undefined;
  help: string;
}

/** Every setting: a flag `--<name>` and an environment variable `C2C_<NAME>`; the flag wins. */
export const SETTINGS = {
  kubeconfig: {
    kind: 'string',
    default: undefined,
    help: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, ~/.kube/config)',
  },
  namespace: {
    kind: 'string',
    default: '',
    help: 'watch groups in this namespace only (default: all namespaces)',
  },
  'leader-elect': {
    kind: 'boolean',
    default: true,
    help: 'elect a leader through a Lease so that one replica reconciles',
  },
  'lease-namespace': {
    kind: 'string',
    default: undefined,
    help: 'namespace of the Lease and of the self-managed webhook Secret (default: $POD_NAMESPACE, --namespace, or default)',
  },
  'lease-name': {
    kind: 'string',
    default: 'click-to-call-in-operator',
    help: 'name of the leader-election Lease',
  },
  'lease-duration-seconds': {
    kind: 'number',
    default: 15,
    help: 'how long a Lease stays valid without renewal',
  },
  'renew-deadline-seconds': {
    kind: 'number',
    default: 10,
    help: 'the leader steps down when it could not renew for this long',
  },
  'retry-period-seconds': {
    kind: 'number',
    default: 2,
    help: 'between attempts to acquire or renew the Lease',
  },
  identity: {
    kind: 'string',
    default: undefined,
    help: 'this replica in the Lease (default: $POD_NAME or hostname, plus a random suffix)',
  },
  'health-port': {
    kind: 'number',
    default: 8081,
    help: 'port of /healthz and /readyz (and /metrics when --metrics-port is the same)',
  },
  'metrics-port': { kind: 'number', default: 8081, help: 'port of /metrics' },
  'bind-address': {
    kind: 'string',
    default: '0.0.0.0',
    help: 'address the probe, metrics and webhook servers listen on',
  },
  webhook: { kind: 'boolean', default: true, help: 'serve the validating webhook (every replica serves it)' },
  'webhook-port': { kind: 'number', default: 9443, help: 'HTTPS port of the webhook' },
  'webhook-cert-dir': {
    kind: 'string',
    default: '/tmp/k8s-webhook-server/serving-certs',
    help: 'directory with tls.crt and tls.key (re-read when they change)',
  },
  'webhook-cert-reload-seconds': {
    kind: 'number',
    default: 10,
    help: 'how often the certificate files are checked for changes',
  },
  'webhook-self-managed': {
    kind: 'boolean',
    default: false,
    help: 'create the CA and certificate in a Secret and inject caBundle, instead of reading files',
  },
  'webhook-secret-name': {
    kind: 'string',
    default: 'click-to-call-in-webhook-tls',
    help: 'Secret of the self-managed certificate',
  },
  'webhook-service-name': {
    kind: 'string',
    default: 'click-to-call-in-webhook',
    help: 'Service in front of the webhook (names in the self-managed certificate)',
  },
  'webhook-ip-addresses': {
    kind: 'string',
    default: '',
    help: 'comma-separated IP addresses for the self-managed certificate',
  },
  'webhook-client-ca-file': {
    kind: 'string',
    default: '',
    help: 'CA of the client certificate the API server presents to webhooks: callers without one it signed are refused at the TLS handshake',
  },
  'webhook-client-names': {
    kind: 'string',
    default: '',
    help: 'comma-separated common or DNS names of the client certificates served (with --webhook-client-ca-file)',
  },
  'webhook-configuration-name': {
    kind: 'string',
    default: 'click-to-call-in',
    help: 'ValidatingWebhookConfiguration that gets the self-managed caBundle',
  },
  'webhook-max-body-bytes': {
    kind: 'number',
    default: 6 * 1024 * 1024,
    help: 'largest AdmissionReview accepted (an UPDATE carries the group twice)',
  },
  'webhook-timeout-seconds': {
    kind: 'number',
    default: 10,
    help: 'a webhook request taking longer is cut off',
  },
  'max-concurrent-reconciles': {
    kind: 'number',
    default: 2,
    help: 'reconcile workers (one key is never reconciled twice at once)',
  },
  'resync-period-seconds': {
    kind: 'number',
    default: 600,
    help: 'relist and reconcile every group this often',
  },
  'watchdog-seconds': {
    kind: 'number',
    default: 90,
    help: 'restart a watch that delivered nothing, not even a bookmark, for this long',
  },
  'queue-rate-per-second': { kind: 'number', default: 10, help: 'overall rate of retried reconciles' },
  'queue-burst': { kind: 'number', default: 100, help: 'burst of retried reconciles' },
  'queue-max-backoff-seconds': { kind: 'number', default: 300, help: 'cap of the per-group retry backoff' },
  'shutdown-grace-seconds': { kind: 'number', default: 25, help: 'a shutdown taking longer exits at once' },
  'log-level': { kind: 'string', default: 'info', help: 'trace, debug, info, warn, error' },
} as const satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
type ValueOf<S extends Setting> = S['kind'] extends 'number'
  ? number
  : S['kind'] extends 'boolean'
    ? boolean
    : string;
export type OperatorConfig = {
  [K in keyof Settings]: Settings[K]['default'] extends undefined
    ? ValueOf<Settings[K]> | undefined
    : ValueOf<Settings[K]>;
};

export const envName = (flag: string): string => `C2C_${flag.toUpperCase().replaceAll('-', '_')}`;

function convert(flag: string, kind: Kind, raw: string | boolean): string | number | boolean {
  if (kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new Error(`--${flag}: expected true or false, got "${raw}"`);
  }
  if (kind === 'number') {
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`--${flag}: expected a number ≥ 0, got "${String(raw)}"`);
    return n;
  }
  return String(raw);
}

/** Flags, then environment, then defaults. Boolean flags take `--x`, `--x=false`, or `--no-x`. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [flag, s] of Object.entries(SETTINGS)) {
    options[flag] = { type: 'string' };
    if (s.kind === 'boolean') options[`no-${flag}`] = { type: 'boolean' };
  }
  // `--leader-elect` alone means true.
  const args = argv.map((a) => {
    const name = a.startsWith('--') ? a.slice(2) : '';
    const setting = (SETTINGS as Record<string, Setting>)[name];
    return setting?.kind === 'boolean' ? `--${name}=true` : a;
  });
  const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
  const out: Record<string, unknown> = {};
  for (const [flag, s] of Object.entries(SETTINGS) as [string, Setting][]) {
    const fromFlag = values[flag] as string | undefined;
    const negated = values[`no-${flag}`] === true;
    const fromEnv = env[envName(flag)];
    if (negated) out[flag] = false;
    else if (fromFlag !== undefined) out[flag] = convert(flag, s.kind, fromFlag);
    else if (fromEnv !== undefined && fromEnv !== '') out[flag] = convert(flag, s.kind, fromEnv);
    else out[flag] = s.default;
  }
  return out as OperatorConfig;
}

export function defaultIdentity(env: NodeJS.ProcessEnv): string {
  return `${env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
}

export function usage(): string {
  return Object.entries(SETTINGS as Record<string, Setting>)
    .map(
      ([flag, s]) =>
        `  --${flag.padEnd(30)} ${s.help} [${envName(flag)}${s.default !== undefined && s.default !== '' ? `, default ${String(s.default)}` : ''}]`,
    )
    .join('\n');
}
