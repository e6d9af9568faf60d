import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LiveView } from './domain/index.ts';
import type { GroupRegistry } from './groups/index.ts';
import type { CallInObserver } from './service/call-in-service.ts';

/** What the metrics read from the live view when scraped; they never write to it. */
export type LiveViewCounts = Pick<LiveView, 'busyCount' | 'coolingCount' | 'liveCounts' | 'endCounts'>;

/** The checks the health gauges run when scraped: the same ones `/readyz` runs. */
export interface HealthChecks {
  /** True while the coordination store can serve requests. */
  storeHealthy: () => boolean;
  /** True while `/readyz` answers ready. */
  ready: () => boolean;
}

export interface AllocatorMetrics {
  registry: Registry;
  observer: CallInObserver;
  /** Records one HTTP request's duration (by route template, method and status). */
  observeHttp(route: string, method: string, status: number, seconds: number): void;
}

/**
 * Metrics on a dedicated registry; labels never carry numbers or request ids. The groups, the
 * live view and the health checks are read at scrape time.
 */
export function createMetrics(
  groups: GroupRegistry,
  view: LiveViewCounts,
  health: HealthChecks,
): AllocatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    prefix: 'c2c_allocator_',
    // Fine enough to tell pauses that matter to a 10 ms latency objective from those that do not.
    gcDurationBuckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  });
  const requests = new Counter({
    name: 'c2c_allocator_requests_total',
    help: 'API operations by group, operation (create, match, cancel) and outcome',
    labelNames: ['group', 'operation', 'outcome'],
    registers: [registry],
  });
  const exhausted = new Counter({
    name: 'c2c_allocator_pool_exhausted_total',
    help: 'Create requests refused because every number of the group was in use',
    labelNames: ['group'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'c2c_allocator_allocation_attempts_total',
    help: 'Create-if-absent writes tried for successful allocations (divide by created for attempts per allocation)',
    labelNames: ['group'],
    registers: [registry],
  });
  new Counter({
    name: 'c2c_allocator_request_ends_total',
    help: 'Requests seen ending (matched, cancelled, expired) by this replica, whichever replica caused it',
    labelNames: ['group', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [group, byOutcome] of view.endCounts())
        for (const [outcome, n] of byOutcome) this.inc({ group, outcome }, n);
    },
  });
  new Gauge({
    name: 'c2c_allocator_numbers_in_use',
    help: 'Numbers of the group holding at least one live request',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups.list())
        this.set({ group: g.settings.groupName }, view.busyCount(g.settings.groupName));
    },
  });
  new Gauge({
    name: 'c2c_allocator_numbers_cooling',
    help: 'Numbers of the group resting after their request ended (coolDownSeconds), not yet handed out again',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups.list())
        if (g.settings.coolDownSeconds > 0)
          this.set({ group: g.settings.groupName }, view.coolingCount(g.settings.groupName));
    },
  });
  new Gauge({
    name: 'c2c_allocator_pool_size',
    help: 'Numbers in the group pool',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups.list()) this.set({ group: g.settings.groupName }, g.pool.length);
    },
  });
  new Gauge({
    name: 'c2c_allocator_group_config_invalid_since_seconds',
    help: 'For a group served as its last valid version because its source is now invalid: since when (Unix time)',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of groups.list())
        if (g.problem) this.set({ group: g.settings.groupName }, Math.floor(g.problem.sinceMs / 1000));
    },
  });
  new Gauge({
    name: 'c2c_allocator_live_requests',
    help: 'Live call-in requests per group',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [group, n] of view.liveCounts()) this.set({ group }, n);
    },
  });
  new Gauge({
    name: 'c2c_allocator_store_up',
    help: '1 while the coordination store can serve requests (NATS connected, the KV stream has a leader), else 0',
    registers: [registry],
    collect() {
      this.set(health.storeHealthy() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'c2c_allocator_ready',
    help: '1 while /readyz answers ready, else 0 (store unavailable, store view not synced, group sources not ready, or shutting down)',
    registers: [registry],
    collect() {
      this.set(health.ready() ? 1 : 0);
    },
  });
  const matchFailures = new Counter({
    name: 'c2c_allocator_match_failures_total',
    help: 'Matches (and match checks) that gave a caller number or access code and matched nothing, counted against the failed-match limits',
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'c2c_allocator_match_lockouts_total',
    help: 'Lockouts started by failed matches, by scope (number: the dialled number; request: one request)',
    labelNames: ['scope'],
    registers: [registry],
  });
  const locked = new Counter({
    name: 'c2c_allocator_match_locked_total',
    help: 'Matches refused with MATCH_LOCKED, by scope (number or request)',
    labelNames: ['scope'],
    registers: [registry],
  });
  for (const scope of ['number', 'request']) {
    lockouts.inc({ scope }, 0);
    locked.inc({ scope }, 0);
  }
  const httpDuration = new Histogram({
    name: 'c2c_allocator_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const httpChild = childCache<ReturnType<typeof httpDuration.labels>>();
  const createdChildren = childCache<{
    requests: ReturnType<typeof requests.labels>;
    attempts: ReturnType<typeof attempts.labels>;
  }>();
  return {
    registry,
    observeHttp: (route, method, status, seconds) =>
      httpChild(`${method} ${status} ${route}`, () =>
        httpDuration.labels({ route, method, status: String(status) }),
      ).observe(seconds),
    observer: {
      created(group, n) {
        const c = createdChildren(group, () => ({
          requests: requests.labels({ group, operation: 'create', outcome: 'created' }),
          attempts: attempts.labels({ group }),
        }));
        c.requests.inc();
        c.attempts.inc(n);
      },
      exhausted(group) {
        requests.inc({ group, operation: 'create', outcome: 'exhausted' });
        exhausted.inc({ group });
      },
      refused: (group, reason) => requests.inc({ group, operation: 'create', outcome: reason }),
      matched: (group) => requests.inc({ group, operation: 'match', outcome: 'matched' }),
      noMatch: () => requests.inc({ group: '', operation: 'match', outcome: 'no_match' }),
      cancelled: (group) => requests.inc({ group, operation: 'cancel', outcome: 'cancelled' }),
      matchFailed(lockedNumber, lockedRequest) {
        matchFailures.inc();
        if (lockedNumber) lockouts.inc({ scope: 'number' });
        if (lockedRequest) lockouts.inc({ scope: 'request' });
      },
      matchLocked: (scope) => locked.inc({ scope }),
    },
  };
}

/** Label children by key, so the busiest updates do not hash their label set every time. */
function childCache<T>(): (key: string, make: () => T) => T {
  const children = new Map<string, T>();
  return (key, make) => {
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = make()));
    return child;
  };
}
