import {
  loadSettings,
  requireSettings,
  setting,
  SHARED_SETTINGS,
  type SettingsOutcome,
  type SettingValues,
} from '#lib';
import { DEFAULT_MATCH_GUARD_POLICY } from './domain/index.ts';

const PORT = { min: 0, max: 65535 } as const;

/** Every setting of the allocator, as a flag and an environment variable (the flag wins). */
export const SETTINGS = {
  host: setting.string({
    flag: 'host',
    env: 'C2C_HOST',
    default: '127.0.0.1',
    description: 'address to listen on',
  }),
  port: setting.integer({
    flag: 'port',
    env: 'C2C_PORT',
    default: 8080,
    ...PORT,
    description: 'port to listen on (0: any free port)',
  }),
  metricsPort: setting.integer({
    flag: 'metrics-port',
    env: 'C2C_METRICS_PORT',
    default: 9090,
    ...PORT,
    description: 'port of /metrics (and /healthz, /readyz), on the same address (0: any free port)',
  }),
  natsUrl: setting.string({
    flag: 'nats-url',
    env: 'C2C_NATS_URL',
    description: 'NATS server URL; without it the in-memory store is used (one replica only)',
  }),
  natsBucket: setting.string({
    flag: 'nats-bucket',
    env: 'C2C_NATS_BUCKET',
    default: 'c2c-allocator',
    description: 'JetStream KV bucket',
  }),
  natsReplicas: setting.integer({
    flag: 'nats-replicas',
    env: 'C2C_NATS_REPLICAS',
    default: 1,
    min: 1,
    max: 5,
    description: 'stream replicas when the bucket is created (3 in production)',
  }),
  natsMarkerTtlMs: setting.duration({
    flag: 'nats-marker-ttl-ms',
    env: 'C2C_NATS_MARKER_TTL_MS',
    unit: 'ms',
    default: 5000,
    description: 'lifetime of expiry markers when the bucket is created',
  }),
  natsCredsFile: setting.string({
    flag: 'nats-creds-file',
    env: 'C2C_NATS_CREDS_FILE',
    description: 'NATS credentials file (JWT + NKey seed)',
  }),
  natsCaFile: setting.string({
    flag: 'nats-ca-file',
    env: 'C2C_NATS_CA_FILE',
    description: 'CA certificate to verify the NATS server (turns TLS on)',
  }),
  groupsDir: setting.string({
    flag: 'groups-dir',
    env: 'C2C_GROUPS_DIR',
    description: 'folder of group files (YAML, or mounted group ConfigMaps)',
  }),
  groupsPollMs: setting.duration({
    flag: 'groups-poll-ms',
    env: 'C2C_GROUPS_POLL_MS',
    unit: 'ms',
    default: 5000,
    description: 'how often the groups folder is re-read besides file events',
  }),
  kubernetes: setting.boolean({
    flag: 'kubernetes',
    env: 'C2C_KUBERNETES',
    default: false,
    description: 'watch group ConfigMaps in Kubernetes',
  }),
  kubeconfig: setting.string({
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    description: 'kubeconfig file (default: in-cluster or ~/.kube/config)',
  }),
  namespace: setting.string({
    flag: 'namespace',
    env: 'C2C_NAMESPACE',
    description: 'namespace of the group ConfigMaps (default: all namespaces)',
  }),
  apiKeysFile: setting.string({
    flag: 'api-keys-file',
    env: 'C2C_API_KEYS_FILE',
    description: 'YAML/JSON list of { name, sha256, scopes, groups? }',
  }),
  apiKeysPollMs: setting.duration({
    flag: 'api-keys-poll-ms',
    env: 'C2C_API_KEYS_POLL_MS',
    unit: 'ms',
    default: 2000,
    description:
      'how often the API keys file is checked for changes besides file events (rotation, revocation)',
  }),
  authFailuresPerSecond: setting.number({
    flag: 'auth-failure-rps',
    env: 'C2C_AUTH_FAILURE_RPS',
    default: 5,
    description: 'failed authentications per second per client address before 429 (0: no limit)',
  }),
  authFailureBurst: setting.integer({
    flag: 'auth-failure-burst',
    env: 'C2C_AUTH_FAILURE_BURST',
    default: 20,
    description: 'failed authentications allowed at once per client address',
  }),
  insecureOpen: setting.boolean({
    flag: 'insecure-open',
    env: 'C2C_INSECURE_OPEN',
    default: false,
    description: 'allow running without API keys on a non-loopback address',
  }),
  bodyLimitBytes: setting.integer({
    flag: 'body-limit-bytes',
    env: 'C2C_BODY_LIMIT_BYTES',
    default: 16384,
    description: 'largest request body',
  }),
  requestTimeoutMs: setting.duration({
    flag: 'request-timeout-ms',
    env: 'C2C_REQUEST_TIMEOUT_MS',
    unit: 'ms',
    default: 10000,
    description: 'longest time to receive a whole request, headers and body; slower clients get 408',
  }),
  rateLimitPerSecond: setting.number({
    flag: 'rate-limit-rps',
    env: 'C2C_RATE_LIMIT_RPS',
    default: 500,
    description: 'requests per second per API key (per address when open); 0 turns it off',
  }),
  rateLimitBurst: setting.integer({
    flag: 'rate-limit-burst',
    env: 'C2C_RATE_LIMIT_BURST',
    default: 1000,
    description: 'requests allowed at once per client',
  }),
  historySeconds: setting.duration({
    flag: 'history-seconds',
    env: 'C2C_HISTORY_SECONDS',
    unit: 's',
    default: 3600,
    description: 'how long ended requests stay in the history',
  }),
  historyMaxEntries: setting.integer({
    flag: 'history-max-entries',
    env: 'C2C_HISTORY_MAX_ENTRIES',
    default: 100000,
    description: 'most requests kept in the history',
  }),
  drainDelayMs: setting.duration({
    flag: 'drain-delay-ms',
    env: 'C2C_DRAIN_DELAY_MS',
    unit: 'ms',
    default: 0,
    description: 'on SIGTERM, answer not-ready this long before closing (let load balancers notice)',
  }),
  shutdownGraceSeconds: setting.duration({
    ...SHARED_SETTINGS.shutdownGraceSeconds,
    // The allocator's name until both programs shared one; bare numbers given under it are milliseconds.
    deprecatedNames: [{ flag: 'shutdown-grace-ms', env: 'C2C_SHUTDOWN_GRACE_MS', unit: 'ms' }],
  }),
  logLevel: SHARED_SETTINGS.logLevel,
  printExamples: setting.boolean({
    flag: 'print-examples',
    env: 'C2C_PRINT_EXAMPLES',
    default: true,
    description: 'print example curl calls at start',
  }),
  gesExpirationUnit: setting.enum({
    flag: 'ges-expiration-unit',
    env: 'C2C_GES_EXPIRATION_UNIT',
    choices: ['milliseconds', 'seconds'],
    default: 'milliseconds',
    description: "what the GES route's expirationTime counts since the epoch",
  }),
  matchFailuresPerNumber: setting.integer({
    flag: 'match-failures-per-number',
    env: 'C2C_MATCH_FAILURES_PER_NUMBER',
    default: DEFAULT_MATCH_GUARD_POLICY.failuresPerNumber,
    description: 'failed matches on one dialled number within the window that lock it (0: no limit)',
  }),
  matchFailureWindowSeconds: setting.duration({
    flag: 'match-failure-window-seconds',
    env: 'C2C_MATCH_FAILURE_WINDOW_SECONDS',
    unit: 's',
    default: DEFAULT_MATCH_GUARD_POLICY.windowSeconds,
    description: 'the window in which failed matches on a number are counted',
  }),
  matchLockoutSeconds: setting.duration({
    flag: 'match-lockout-seconds',
    env: 'C2C_MATCH_LOCKOUT_SECONDS',
    unit: 's',
    default: DEFAULT_MATCH_GUARD_POLICY.lockoutSeconds,
    description: 'first lockout of a number; each further one doubles it',
  }),
  matchMaxLockoutSeconds: setting.duration({
    flag: 'match-max-lockout-seconds',
    env: 'C2C_MATCH_MAX_LOCKOUT_SECONDS',
    unit: 's',
    default: DEFAULT_MATCH_GUARD_POLICY.maxLockoutSeconds,
    description: 'longest lockout of a number; the doubling is forgotten this long after the last lockout',
  }),
  matchFailuresPerRequest: setting.integer({
    flag: 'match-failures-per-request',
    env: 'C2C_MATCH_FAILURES_PER_REQUEST',
    default: DEFAULT_MATCH_GUARD_POLICY.failuresPerRequest,
    description: 'wrong access codes for one identified request that lock it until it expires (0: no limit)',
  }),
};

type Settings = SettingValues<typeof SETTINGS>;

/** The settings as the allocator's code reads them: the shutdown grace in milliseconds, like every timer. */
export type AllocatorConfig = Omit<Settings, 'shutdownGraceSeconds'> & { shutdownGraceMs: number };

const PROGRAM = {
  usage: 'node allocator/src/main.ts [flags]',
  summary:
    'click-to-call-in allocator: hands out numbers to dial for call-in requests and matches incoming calls to them.',
};

/** Settings from flags, environment and defaults; or the help text; or every error. Never exits. */
export function readAllocatorConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): SettingsOutcome<AllocatorConfig> {
  const loaded = loadSettings(SETTINGS, argv, env, PROGRAM);
  if (loaded.outcome !== 'loaded') return loaded;
  const { shutdownGraceSeconds, ...settings } = loaded.settings;
  return { ...loaded, settings: { ...settings, shutdownGraceMs: shutdownGraceSeconds * 1000 } };
}

/** The settings, or a SettingsError naming every bad flag and variable (or carrying the help text). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): AllocatorConfig {
  return requireSettings(readAllocatorConfig(argv, env));
}
