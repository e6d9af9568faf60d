import { DEFAULT_MATCH_GUARD_POLICY } from './domain/index.ts';
import { parseArgs } from 'node:util';

export interface AllocatorConfig {
  host: string;
  port: number;
  metricsPort: number;
  natsUrl: string | undefined;
  natsBucket: string;
  natsReplicas: number;
  natsMarkerTtlMs: number;
  natsCredsFile: string | undefined;
  natsCaFile: string | undefined;
  groupsDir: string | undefined;
  groupsPollMs: number;
  kubernetes: boolean;
  kubeconfig: string | undefined;
  /** undefined: all namespaces. */
  namespace: string | undefined;
  apiKeysFile: string | undefined;
  apiKeysPollMs: number;
  authFailuresPerSecond: number;
  authFailureBurst: number;
  insecureOpen: boolean;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  historySeconds: number;
  historyMaxEntries: number;
  drainDelayMs: number;
  shutdownGraceMs: number;
  printExamples: boolean;
  gesExpirationUnit: 'milliseconds' | 'seconds';
  matchFailuresPerNumber: number;
  matchFailureWindowSeconds: number;
  matchLockoutSeconds: number;
  matchMaxLockoutSeconds: number;
  matchFailuresPerRequest: number;
}

interface Setting {
  flag: string;
  env: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  /** The only values a string setting accepts. */
  choices?: readonly string[];
  help: string;
}

/** Every setting, as a flag and an environment variable (the flag wins). */
export const SETTINGS: Record<keyof AllocatorConfig, Setting> = {
  host: { flag: 'host', env: 'C2C_HOST', type: 'string', default: '127.0.0.1', help: 'address to listen on' },
  port: {
    flag: 'port',
    env: 'C2C_PORT',
    type: 'number',
    default: 8080,
    help: 'port to listen on (0: any free port)',
  },
  metricsPort: {
    flag: 'metrics-port',
    env: 'C2C_METRICS_PORT',
    type: 'number',
    default: 9090,
    help: 'port of /metrics (and /healthz, /readyz), on the same address (0: any free port)',
  },
  natsUrl: {
    flag: 'nats-url',
    env: 'C2C_NATS_URL',
    type: 'string',
    help: 'NATS server URL; without it the in-memory store is used (one replica only)',
  },
  natsBucket: {
    flag: 'nats-bucket',
    env: 'C2C_NATS_BUCKET',
    type: 'string',
    default: 'c2c-allocator',
    help: 'JetStream KV bucket',
  },
  natsReplicas: {
    flag: 'nats-replicas',
    env: 'C2C_NATS_REPLICAS',
    type: 'number',
    default: 1,
    help: 'stream replicas when the bucket is created (3 in production)',
  },
  natsMarkerTtlMs: {
    flag: 'nats-marker-ttl-ms',
    env: 'C2C_NATS_MARKER_TTL_MS',
    type: 'number',
    default: 5000,
    help: 'lifetime of expiry markers when the bucket is created',
  },
  natsCredsFile: {
    flag: 'nats-creds-file',
    env: 'C2C_NATS_CREDS_FILE',
    type: 'string',
    help: 'NATS credentials file (JWT + NKey seed)',
  },
  natsCaFile: {
    flag: 'nats-ca-file',
    env: 'C2C_NATS_CA_FILE',
    type: 'string',
    help: 'CA certificate to verify the NATS server (turns TLS on)',
  },
  groupsDir: {
    flag: 'groups-dir',
    env: 'C2C_GROUPS_DIR',
    type: 'string',
    help: 'folder of group files (YAML, or mounted group ConfigMaps)',
  },
  groupsPollMs: {
    flag: 'groups-poll-ms',
    env: 'C2C_GROUPS_POLL_MS',
    type: 'number',
    default: 5000,
    help: 'how often the groups folder is re-read besides file events',
  },
  kubernetes: {
    flag: 'kubernetes',
    env: 'C2C_KUBERNETES',
    type: 'boolean',
    default: false,
    help: 'watch group ConfigMaps in Kubernetes',
  },
  kubeconfig: {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    type: 'string',
    help: 'kubeconfig file (default: in-cluster or ~/.kube/config)',
  },
  namespace: {
    flag: 'namespace',
    env: 'C2C_NAMESPACE',
    type: 'string',
    help: 'namespace of the group ConfigMaps (default: all namespaces)',
  },
  apiKeysFile: {
    flag: 'api-keys-file',
    env: 'C2C_API_KEYS_FILE',
    type: 'string',
    help: 'YAML/JSON list of { name, sha256, scopes, groups? }',
  },
  apiKeysPollMs: {
    flag: 'api-keys-poll-ms',
    env: 'C2C_API_KEYS_POLL_MS',
    type: 'number',
    default: 2000,
    help: 'how often the API keys file is checked for changes besides file events (rotation, revocation)',
  },
  authFailuresPerSecond: {
    flag: 'auth-failure-rps',
    env: 'C2C_AUTH_FAILURE_RPS',
    type: 'number',
    default: 5,
    help: 'failed authentications per second per client address before 429 (0: no limit)',
  },
  authFailureBurst: {
    flag: 'auth-failure-burst',
    env: 'C2C_AUTH_FAILURE_BURST',
    type: 'number',
    default: 20,
    help: 'failed authentications allowed at once per client address',
  },
  insecureOpen: {
    flag: 'insecure-open',
    env: 'C2C_INSECURE_OPEN',
    type: 'boolean',
    default: false,
    help: 'allow running without API keys on a non-loopback address',
  },
  bodyLimitBytes: {
    flag: 'body-limit-bytes',
    env: 'C2C_BODY_LIMIT_BYTES',
    type: 'number',
    default: 16384,
    help: 'largest request body',
  },
  requestTimeoutMs: {
    flag: 'request-timeout-ms',
    env: 'C2C_REQUEST_TIMEOUT_MS',
    type: 'number',
    default: 10000,
    help: 'longest time to receive a whole request, headers and body; slower clients get 408',
  },
  rateLimitPerSecond: {
    flag: 'rate-limit-rps',
    env: 'C2C_RATE_LIMIT_RPS',
    type: 'number',
    default: 500,
    help: 'requests per second per API key (per address when open); 0 turns it off',
  },
  rateLimitBurst: {
    flag: 'rate-limit-burst',
    env: 'C2C_RATE_LIMIT_BURST',
    type: 'number',
    default: 1000,
    help: 'requests allowed at once per client',
  },
  historySeconds: {
    flag: 'history-seconds',
    env: 'C2C_HISTORY_SECONDS',
    type: 'number',
    default: 3600,
    help: 'how long ended requests stay in the history',
  },
  historyMaxEntries: {
    flag: 'history-max-entries',
    env: 'C2C_HISTORY_MAX_ENTRIES',
    type: 'number',
    default: 100000,
    help: 'most requests kept in the history',
  },
  drainDelayMs: {
    flag: 'drain-delay-ms',
    env: 'C2C_DRAIN_DELAY_MS',
    type: 'number',
    default: 0,
    help: 'on SIGTERM, answer not-ready this long before closing (let load balancers notice)',
  },
  shutdownGraceMs: {
    flag: 'shutdown-grace-ms',
    env: 'C2C_SHUTDOWN_GRACE_MS',
    type: 'number',
    default: 25000,
    help: 'exit hard if shutdown takes longer',
  },
  printExamples: {
    flag: 'print-examples',
    env: 'C2C_PRINT_EXAMPLES',
    type: 'boolean',
    default: true,
    help: 'print example curl calls at start',
  },
  gesExpirationUnit: {
    flag: 'ges-expiration-unit',
    env: 'C2C_GES_EXPIRATION_UNIT',
    type: 'string',
    default: 'milliseconds',
    choices: ['milliseconds', 'seconds'],
    help: "what the GES route's expirationTime counts since the epoch",
  },
  matchFailuresPerNumber: {
    flag: 'match-failures-per-number',
    env: 'C2C_MATCH_FAILURES_PER_NUMBER',
    type: 'number',
    default: DEFAULT_MATCH_GUARD_POLICY.failuresPerNumber,
    help: 'failed matches on one dialled number within the window that lock it (0: no limit)',
  },
  matchFailureWindowSeconds: {
    flag: 'match-failure-window-seconds',
    env: 'C2C_MATCH_FAILURE_WINDOW_SECONDS',
    type: 'number',
    default: DEFAULT_MATCH_GUARD_POLICY.windowSeconds,
    help: 'the window in which failed matches on a number are counted',
  },
  matchLockoutSeconds: {
    flag: 'match-lockout-seconds',
    env: 'C2C_MATCH_LOCKOUT_SECONDS',
    type: 'number',
    default: DEFAULT_MATCH_GUARD_POLICY.lockoutSeconds,
    help: 'first lockout of a number; each further one doubles it',
  },
  matchMaxLockoutSeconds: {
    flag: 'match-max-lockout-seconds',
    env: 'C2C_MATCH_MAX_LOCKOUT_SECONDS',
    type: 'number',
    default: DEFAULT_MATCH_GUARD_POLICY.maxLockoutSeconds,
    help: 'longest lockout of a number; the doubling is forgotten this long after the last lockout',
  },
  matchFailuresPerRequest: {
    flag: 'match-failures-per-request',
    env: 'C2C_MATCH_FAILURES_PER_REQUEST',
    type: 'number',
    default: DEFAULT_MATCH_GUARD_POLICY.failuresPerRequest,
    help: 'wrong access codes for one identified request that lock it until it expires (0: no limit)',
  },
};

export function usage(): string {
  const lines = Object.values(SETTINGS).map((s) => {
    const def = s.default === undefined ? '' : ` (default ${String(s.default)})`;
    return `  --${s.flag}${s.type === 'boolean' ? '' : ' <value>'}  [${s.env}]  ${s.help}${def}`;
  });
  return `usage: node allocator/src/main.ts [options]\n${lines.join('\n')}\n`;
}

/** Flags, then environment, then defaults. Throws Error with a message for a bad value. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): AllocatorConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const s of Object.values(SETTINGS)) {
    options[s.flag] = { type: s.type === 'boolean' ? 'boolean' : 'string' };
    if (s.type === 'boolean') options[`no-${s.flag}`] = { type: 'boolean' };
  }
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(usage());
    process.exit(0);
  }
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    let raw: string | boolean | undefined = values[s.flag] as string | boolean | undefined;
    if (s.type === 'boolean' && values[`no-${s.flag}`]) raw = false;
    raw ??= env[s.env];
    if (raw === undefined || raw === '') {
      out[key] = s.default;
      continue;
    }
    if (s.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0)
        throw new Error(`--${s.flag} / ${s.env}: ${String(raw)} is not a non-negative number`);
      out[key] = n;
    } else if (s.type === 'boolean') {
      out[key] = raw === true || raw === 'true' || raw === '1';
    } else {
      if (s.choices && !s.choices.includes(String(raw)))
        throw new Error(`--${s.flag} / ${s.env}: ${String(raw)} is not one of ${s.choices.join(', ')}`);
      out[key] = raw;
    }
  }
  return out as unknown as AllocatorConfig;
}
