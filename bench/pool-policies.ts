/**
 * What the pool policies cost: create attempts (KV writes) per allocation and creates/s through the
 * HTTP API, with 1, 2 and 4 allocator replicas on one nats-server (loopback), each pool filled from
 * empty to 95 % of what automatic selection may hand out, 64 requests in flight spread over the
 * replicas; then each selection strategy (and a cool-down) on a pool held 95 % full, every
 * allocation preceded by the cancel of the oldest live request. Writes
 * bench/results/pool-policies.json and .md.
 *
 *   npx node bench/run.ts pool-policies
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { numberLocality } from '#api';
import { indexPool } from '#allocator/domain/index';
import { AllocatorProcess } from '../test/integration/allocator/allocator-process.ts';
import { NatsServer } from '../test/harness/nats-server.ts';
import { loadAverage, machine, round, workDir, writeResults } from './support.ts';

const POOL = Number(process.env.BENCH_POOL ?? 2_000);
const CONCURRENCY = 64;
const FILL = 0.95;
const REPLICAS = [1, 2, 4];
/** Allocations measured on a pool held 95 % full. */
const CHURN = Number(process.env.BENCH_CHURN ?? 3_000);

const { work, logDir } = await workDir('c2c-bench-policies-');
const nats = new NatsServer(path.join(work, 'nats'), logDir, { name: 'bench-policies-nats' });
const loadAtStart = loadAverage();

const numbers = (base: number) =>
  Array.from({ length: POOL }, (_, i) => `+1800${String(base + i).padStart(7, '0')}`);

interface Scenario {
  group: string;
  what: string;
  /** Pool lines: number, and whether it is reserved. */
  pool: Array<{ number: string; reserved: boolean }>;
  /** Extra spec lines. */
  spec?: string;
  /** The create bodies, in order; `undefined` for an automatic create. */
  bodies: () => Array<Record<string, unknown>>;
}

const pool = (base: number, reserved: (i: number) => boolean) =>
  numbers(base).map((number, i) => ({ number, reserved: reserved(i) }));
const automatic = (p: Scenario['pool']) => () =>
  Array.from({ length: Math.floor(p.filter((e) => !e.reserved).length * FILL) }, () => ({}));

const plain = pool(1_000_000, () => false);
const half = pool(2_000_000, (i) => i % 2 === 0);
const most = pool(3_000_000, (i) => i % 20 !== 0);
const asked = pool(4_000_000, () => true);
/** Ten US area codes, POOL / 10 numbers in each; callers spread evenly over them. */
const AREAS = ['201', '206', '212', '213', '305', '312', '415', '512', '617', '702'];
const areaPool = (base: number) =>
  Array.from({ length: POOL }, (_, i) => ({
    number: `+1${AREAS[i % AREAS.length]}${String(base + Math.floor(i / AREAS.length)).padStart(7, '0')}`,
    reserved: false,
  }));
const callers = (count: number, areas = AREAS) =>
  Array.from({ length: count }, (_, i) => ({
    callerNumber: `+1${areas[i % areas.length]}${String(8_000_000 + i).padStart(7, '0')}`,
  }));
const preferPool = areaPool(2_000_000);
const requirePool = areaPool(3_000_000);
const skewedPreferPool = areaPool(4_000_000);
const skewedRequirePool = areaPool(5_000_000);
const scenarios: Scenario[] = [
  {
    group: 'plain',
    what: 'automatic, no number reserved (the baseline)',
    pool: plain,
    bodies: automatic(plain),
  },
  { group: 'half', what: 'automatic, every other number reserved', pool: half, bodies: automatic(half) },
  { group: 'most', what: 'automatic, 95 % of the numbers reserved', pool: most, bodies: automatic(most) },
  {
    group: 'asked',
    what: 'asking for a free number by value (distinct numbers)',
    pool: asked,
    bodies: () => asked.slice(0, Math.floor(POOL * FILL)).map((e) => ({ number: e.number })),
  },
  {
    group: 'prefer-area',
    what: 'local presence, prefer area: callers from the 10 areas of the pool',
    pool: preferPool,
    spec: '  localPresence: { match: prefer, level: area }\n',
    bodies: () => callers(Math.floor(POOL * FILL)),
  },
  {
    group: 'require-area',
    what: 'local presence, require area: callers from the 10 areas of the pool',
    pool: requirePool,
    spec: '  localPresence: { match: require, level: area }\n',
    bodies: () => callers(Math.floor(POOL * FILL)),
  },
  {
    group: 'prefer-skewed',
    what: 'local presence, prefer area: every caller from one area (a tenth of the pool)',
    pool: skewedPreferPool,
    spec: '  localPresence: { match: prefer, level: area }\n',
    bodies: () => callers(Math.floor(POOL * FILL), ['415']),
  },
  {
    group: 'require-skewed',
    what: 'local presence, require area: callers from one area, 1.5 × its numbers',
    pool: skewedRequirePool,
    spec: '  localPresence: { match: require, level: area }\n',
    bodies: () => callers(Math.floor((POOL / AREAS.length) * 1.5), ['415']),
  },
];

/** A selection scenario: a unique pool held 95 % full while requests are cancelled and created. */
interface SteadyScenario {
  group: string;
  what: string;
  spec: string;
}
const steadyScenarios: SteadyScenario[] = [
  { group: 'steady-random', what: 'random (the default)', spec: '  selection: { strategy: random }\n' },
  {
    group: 'steady-lru',
    what: 'leastRecentlyUsed',
    spec: '  selection: { strategy: leastRecentlyUsed }\n',
  },
  { group: 'steady-rr', what: 'roundRobin', spec: '  selection: { strategy: roundRobin }\n' },
  {
    group: 'steady-cool',
    what: 'random, coolDownSeconds: 2',
    spec: '  selection: { strategy: random }\n  coolDownSeconds: 2\n',
  },
  {
    group: 'steady-sticky',
    what: 'random, stickySeconds: 600, every caller asking again',
    spec: '  selection: { strategy: random, stickySeconds: 600 }\n',
  },
];
const steadyPools = new Map(
  steadyScenarios.map((s, i) => [s.group, pool(6_000_000 + i * 100_000, () => false)]),
);

function groupYaml(s: Scenario): string {
  return `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: ${s.group} }
spec:
  dnisPool:
${s.pool.map((e) => `    - { number: '${e.number}'${e.reserved ? ', reserved: true' : ''} }`).join('\n')}
  accessCode: { generate: false }
  uniqueDnis: true
  expirySeconds: 1800
${s.spec ?? ''}---
`;
}

async function metric(replica: AllocatorProcess, series: string): Promise<number> {
  const text = await (await fetch(`${replica.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series));
  return Number(line?.split(' ').pop() ?? 0) || 0;
}

/** Sends `bodies` with `CONCURRENCY` in flight, round-robin over the replicas. */
async function send(replicas: AllocatorProcess[], group: string, bodies: Array<Record<string, unknown>>) {
  let next = 0;
  const statuses: number[] = [];
  const levels: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const r = await (replicas[i % replicas.length] as AllocatorProcess).post(
          `/v1/groups/${group}/requests`,
          bodies[i],
        );
        statuses.push(r.status);
        const level = r.body?.localPresence;
        if (typeof level === 'string') levels[level] = (levels[level] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { statuses, levels, perSecond: Math.round(bodies.length / seconds) };
}

interface Row {
  scenario: string;
  replicas: number;
  allocations: number;
  refused: number;
  attemptsPerAllocation: number;
  perSecond: number;
  /** Local presence: how many answers said each level. */
  levels?: Record<string, number>;
}

/** 30 requests at once for one free number, spread over the replicas: how many win, and the writes. */
async function race(replicas: AllocatorProcess[], rounds: number) {
  let won = 0;
  let refused = 0;
  const before = await Promise.all(
    replicas.map((r) => metric(r, 'c2c_allocator_allocation_attempts_total{group="race"}')),
  );
  for (let round = 0; round < rounds; round++) {
    const number = `+1800${String(5_000_000 + round).padStart(7, '0')}`;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (replicas[i % replicas.length] as AllocatorProcess).post('/v1/groups/race/requests', { number }),
      ),
    );
    won += results.filter((r) => r.status === 201).length;
    refused += results.filter((r) => r.status === 409 && r.body.error.code === 'NUMBER_UNAVAILABLE').length;
  }
  const after = await Promise.all(
    replicas.map((r) => metric(r, 'c2c_allocator_allocation_attempts_total{group="race"}')),
  );
  const attempts = after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0);
  return { rounds, won, refused, attemptsPerAllocation: round(attempts / Math.max(1, won)) };
}

interface SteadyRow {
  strategy: string;
  replicas: number;
  allocations: number;
  refused: number;
  attemptsPerAllocation: number;
  perSecond: number;
  sticky?: number;
}

async function attemptsAndCreates(replicas: AllocatorProcess[], group: string) {
  let attempts = 0;
  let created = 0;
  for (const r of replicas) {
    attempts += await metric(r, `c2c_allocator_allocation_attempts_total{group="${group}"}`);
    created += await metric(
      r,
      `c2c_allocator_requests_total{group="${group}",operation="create",outcome="created"}`,
    );
  }
  return { attempts, created };
}

/**
 * Fills the group to 95 %, then runs CHURN allocations with CONCURRENCY in flight, each after the
 * cancel of the oldest live request (so the pool stays about 95 % full), over the replicas; counts
 * the attempts of those allocations only. With `callers`, each request gives a caller number from a
 * set as large as the fill, so every caller asks again.
 */
async function steady(replicas: AllocatorProcess[], s: SteadyScenario, callers: boolean): Promise<SteadyRow> {
  const size = steadyPools.get(s.group)?.length ?? 0;
  const fill = Math.floor(size * FILL);
  const body = (i: number) =>
    callers ? { callerNumber: `+1415${String(5_000_000 + (i % fill)).padStart(7, '0')}` } : {};
  const live: string[] = [];
  let next = 0;
  const at = (i: number) => replicas[i % replicas.length] as AllocatorProcess;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < fill) {
        const i = next++;
        const r = await at(i).post(`/v1/groups/${s.group}/requests`, body(i));
        if (r.status === 201) live.push(r.body.id as string);
      }
    }),
  );
  const before = await attemptsAndCreates(replicas, s.group);
  let done = 0;
  let allocations = 0;
  let refused = 0;
  let sticky = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (done < CHURN) {
        const i = done++;
        const oldest = live.shift();
        if (oldest) await at(i + 1).request('DELETE', `/v1/requests/${oldest}`);
        const r = await at(i).post(`/v1/groups/${s.group}/requests`, body(fill + i));
        if (r.status === 201) {
          allocations++;
          if (r.body.sticky === true) sticky++;
          live.push(r.body.id as string);
        } else refused++;
      }
    }),
  );
  const perSecond = Math.round(CHURN / ((performance.now() - started) / 1000));
  const after = await attemptsAndCreates(replicas, s.group);
  return {
    strategy: s.what,
    replicas: replicas.length,
    allocations,
    refused,
    attemptsPerAllocation: round(
      (after.attempts - before.attempts) / Math.max(1, after.created - before.created),
    ),
    perSecond,
    ...(callers ? { sticky } : {}),
  };
}

const rows: Row[] = [];
const steadyRows: SteadyRow[] = [];
const races: Array<{ replicas: number } & Awaited<ReturnType<typeof race>>> = [];
try {
  await nats.start();
  const groupsDir = path.join(work, 'groups');
  await mkdir(groupsDir);
  const racePool: Scenario = { group: 'race', what: '', pool: pool(5_000_000, () => true), bodies: () => [] };
  const steadyGroups: Scenario[] = steadyScenarios.map((s) => ({
    group: s.group,
    what: s.what,
    pool: steadyPools.get(s.group) ?? [],
    spec: s.spec,
    bodies: () => [],
  }));
  await writeFile(
    path.join(groupsDir, 'groups.yaml'),
    [...scenarios, racePool, ...steadyGroups].map(groupYaml).join(''),
  );
  for (const count of REPLICAS) {
    const bucket = `bench-policies-${count}`;
    const args = ['--nats-url', nats.info.url, '--nats-bucket', bucket, '--groups-dir', groupsDir];
    const replicas = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        AllocatorProcess.start(`${bucket}-${i}`, [...args, '--rate-limit-rps', '0'], logDir),
      ),
    );
    try {
      for (const s of scenarios) {
        const { statuses, levels, perSecond } = await send(replicas, s.group, s.bodies());
        const { attempts, created } = await attemptsAndCreates(replicas, s.group);
        const row = {
          scenario: s.what,
          replicas: count,
          allocations: statuses.filter((x) => x === 201).length,
          refused: statuses.filter((x) => x !== 201).length,
          attemptsPerAllocation: round(attempts / Math.max(1, created)),
          perSecond,
          ...(Object.keys(levels).length > 0 ? { levels } : {}),
        };
        rows.push(row);
        console.log(JSON.stringify(row));
      }
      const r = { replicas: count, ...(await race(replicas, 20)) };
      races.push(r);
      console.log(JSON.stringify(r));
      for (const s of steadyScenarios) {
        const row = await steady(replicas, s, s.group === 'steady-sticky');
        steadyRows.push(row);
        console.log(JSON.stringify(row));
      }
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }
} finally {
  await nats.stop();
}

// In-process: what local presence costs a replica besides the writes.
const localityCost = (() => {
  const distinct = Array.from(
    { length: 10_000 },
    (_, i) => `+1${AREAS[i % AREAS.length]}${String(5_000_000 + i)}`,
  );
  let t = performance.now();
  for (const n of distinct) numberLocality(n);
  const callerMicros = round(((performance.now() - t) * 1000) / distinct.length, 1);
  t = performance.now();
  for (const n of distinct) numberLocality(n);
  const cachedMicros = round(((performance.now() - t) * 1000) / distinct.length, 2);
  const pool10k = Array.from({ length: 10_000 }, (_, i) => ({
    number: `+1${AREAS[i % AREAS.length]}${String(6_000_000 + i)}`,
  }));
  t = performance.now();
  indexPool(pool10k, { match: 'prefer', level: 'area' });
  return { callerMicros, cachedMicros, load10kMs: round(performance.now() - t, 0) };
})();

const report = {
  machine: machine(loadAtStart),
  poolSize: POOL,
  fill: FILL,
  concurrency: CONCURRENCY,
  rows,
  races,
  churn: CHURN,
  steadyRows,
  localityCost,
};
const levelsText = (levels: Record<string, number> | undefined) =>
  levels
    ? Object.entries(levels)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : '';
const md = `# Pool policies: what they cost

${new Date().toISOString().slice(0, 10)}, ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${report.machine.node}, load average at start ${loadAtStart.join(' / ')}.
Unique-DNIS pools of ${POOL.toLocaleString('en-US')} numbers on one nats-server (loopback); each pool filled from empty to
${FILL * 100} % of what the scenario may hand out, ${CONCURRENCY} requests in flight spread round-robin over the replicas.
Attempts are KV create writes per allocation (\`c2c_allocator_allocation_attempts_total\` ÷ creates).
The runs last under a second each, so creates/s is indicative only (\`npm run bench:allocator\` measures throughput).

| scenario | replicas | allocations | refused | attempts per allocation | creates/s | local presence answers |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
${rows.map((r) => `| ${r.scenario} | ${r.replicas} | ${r.allocations} | ${r.refused} | ${r.attemptsPerAllocation} | ${r.perSecond.toLocaleString('en-US')} | ${levelsText(r.levels)} |`).join('\n')}

30 requests at once for one free number, spread over the replicas, ${races[0]?.rounds ?? 0} rounds (each on another number):

| replicas | requests | 201 | NUMBER_UNAVAILABLE | attempts per allocation |
| ---: | ---: | ---: | ---: | ---: |
${races.map((r) => `| ${r.replicas} | ${r.rounds * 30} | ${r.won} | ${r.refused} | ${r.attemptsPerAllocation} |`).join('\n')}

Selection strategies on a pool held ${FILL * 100} % full: filled to ${FILL * 100} %, then ${CHURN.toLocaleString('en-US')} allocations, each after the
cancel of the oldest live request, ${CONCURRENCY} in flight over the replicas (only these allocations' attempts are counted):

| strategy | replicas | allocations | refused | attempts per allocation | allocations/s (with the cancels) | sticky answers |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${steadyRows.map((r) => `| ${r.strategy} | ${r.replicas} | ${r.allocations} | ${r.refused} | ${r.attemptsPerAllocation} | ${r.perSecond.toLocaleString('en-US')} | ${r.sticky ?? ''} |`).join('\n')}

Local presence in one process (no store): placing a caller number not seen before costs
${localityCost.callerMicros} µs (libphonenumber-js parse and format), one seen before ${localityCost.cachedMicros} µs (a map
lookup); indexing a 10,000-number pool by area and country when the group loads takes ${localityCost.load10kMs} ms.
`;
await writeResults('pool-policies', report, md);
console.log(md);
