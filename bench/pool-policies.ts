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
---
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
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { statuses, perSecond: Math.round(bodies.length / seconds) };
}

interface Row {
  scenario: string;
  replicas: number;
  allocations: number;
  refused: number;
  attemptsPerAllocation: number;
  perSecond: number;
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
        const { statuses, perSecond } = await send(replicas, s.group, s.bodies());
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

const report = {
  machine: machine(loadAtStart),
  poolSize: POOL,
  fill: FILL,
  concurrency: CONCURRENCY,
  rows,
  races,
};
const md = `# Pool policies: what they cost

${new Date().toISOString().slice(0, 10)}, ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${report.machine.node}, load average at start ${loadAtStart.join(' / ')}.
Unique-DNIS pools of ${POOL.toLocaleString('en-US')} numbers on one nats-server (loopback); each pool filled from empty to
${FILL * 100} % of what the scenario may hand out, ${CONCURRENCY} requests in flight spread round-robin over the replicas.
Attempts are KV create writes per allocation (\`c2c_allocator_allocation_attempts_total\` ÷ creates).
The runs last under a second each, so creates/s is indicative only (\`npm run bench:allocator\` measures throughput).

| scenario | replicas | allocations | refused | attempts per allocation | creates/s |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.scenario} | ${r.replicas} | ${r.allocations} | ${r.refused} | ${r.attemptsPerAllocation} | ${r.perSecond.toLocaleString('en-US')} |`).join('\n')}

30 requests at once for one free number, spread over the replicas, ${races[0]?.rounds ?? 0} rounds (each on another number):

| replicas | requests | 201 | NUMBER_UNAVAILABLE | attempts per allocation |
| ---: | ---: | ---: | ---: | ---: |
${races.map((r) => `| ${r.replicas} | ${r.rounds * 30} | ${r.won} | ${r.refused} | ${r.attemptsPerAllocation} |`).join('\n')}
`;
await writeResults('pool-policies', report, md);
console.log(md);
