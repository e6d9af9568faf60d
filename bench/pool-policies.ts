/**
 * What the pool policies cost: create attempts (KV writes) per allocation and creates/s through the
 * HTTP API, with 1 and 3 allocator replicas on one nats-server (loopback), each pool filled from empty
 * to 95 % of what automatic selection may hand out, 64 requests in flight spread over the replicas.
 * Writes bench/results/pool-policies.json and .md.
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
const REPLICAS = [1, 3];

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

const rows: Row[] = [];
const races: Array<{ replicas: number } & Awaited<ReturnType<typeof race>>> = [];
try {
  await nats.start();
  const groupsDir = path.join(work, 'groups');
  await mkdir(groupsDir);
  const racePool: Scenario = { group: 'race', what: '', pool: pool(5_000_000, () => true), bodies: () => [] };
  await writeFile(path.join(groupsDir, 'groups.yaml'), [...scenarios, racePool].map(groupYaml).join(''));
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
        let attempts = 0;
        let created = 0;
        for (const r of replicas) {
          attempts += await metric(r, `c2c_allocator_allocation_attempts_total{group="${s.group}"}`);
          created += await metric(
            r,
            `c2c_allocator_requests_total{group="${s.group}",operation="create",outcome="created"}`,
          );
        }
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

Local presence in one process (no store): placing a caller number not seen before costs
${localityCost.callerMicros} µs (libphonenumber-js parse and format), one seen before ${localityCost.cachedMicros} µs (a map
lookup); indexing a 10,000-number pool by area and country when the group loads takes ${localityCost.load10kMs} ms.
`;
await writeResults('pool-policies', report, md);
console.log(md);
