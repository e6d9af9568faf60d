/**
 * Soak, loopback only, a few minutes: a steady open-loop load on 2 allocator replicas sharing one
 * nats-server (sync_interval: always, as docs/operations.md recommends). Each create is followed by a
 * match, a cancel, or nothing (left to expire). Reports throughput, latency, memory growth of each
 * replica, and that the numbers-in-use metric returns to zero once the last requests expire.
 * Writes bench/results/soak.json and bench/results/soak.md.
 *
 *   npm run soak                       # 120 s at 100 creates/s (12,000 creates)
 *   SOAK_DURATION_MS=600000 SOAK_RATE=200 npm run soak
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AllocatorProcess } from '../test/integration/allocator/allocator-process.ts';
import { NatsServer } from '../test/harness/nats-server.ts';
import {
  loadAverage,
  machine,
  poolConfigMapYaml,
  quantile,
  round,
  workDir,
  writeResults,
} from './support.ts';

const DURATION_MS = Number(process.env.SOAK_DURATION_MS ?? 120_000);
const RATE = Number(process.env.SOAK_RATE ?? 100);
const MAX_IN_FLIGHT = 256;
const EXPIRY_SECONDS = 10;
const WARMUP_MS = Math.min(15_000, DURATION_MS / 4);

const { work, logDir } = await workDir('c2c-soak-');
const nats = new NatsServer(path.join(work, 'nats'), logDir, { name: 'soak-nats', syncAlways: true });
const replicas: AllocatorProcess[] = [];

const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** Sums of some metrics of one replica, read from its /metrics. */
async function metrics(r: AllocatorProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.metricsUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(c2c_allocator_[a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m) continue;
    const name = m[1] as string;
    if (m[2]?.includes('group=') && !m[2].includes('group="soak"')) continue;
    out[name] = (out[name] ?? 0) + Number(m[3]);
  }
  return out;
}

async function call(r: AllocatorProcess, method: string, route: string, body?: unknown) {
  const res = await fetch(`${r.url}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

const loadAtStart = loadAverage();
try {
  await nats.start();
  const groupsDir = path.join(work, 'groups');
  await mkdir(groupsDir);
  const pool = Array.from({ length: 2_000 }, (_, i) => `+1800${String(3_000_000 + i)}`);
  await writeFile(
    path.join(groupsDir, 'soak.yaml'),
    `${poolConfigMapYaml('soak-pool', pool)}---
apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: soak }
spec:
  dnisPoolFrom: { configMapKeyRef: { name: soak-pool, key: pool.csv } }
  accessCode: { generate: true, length: 6 }
  uniqueDnis: true
  expirySeconds: ${EXPIRY_SECONDS}
`,
  );
  const args = ['--nats-url', nats.info.url, '--groups-dir', groupsDir, '--rate-limit-rps', '0'];
  for (const i of [1, 2]) replicas.push(await AllocatorProcess.start(`soak-allocator-${i}`, args, logDir));

  const statuses = new Map<string, number>();
  const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
  const createMs: number[] = [];
  const followMs: number[] = [];
  let inFlight = 0;
  let skipped = 0;
  let sent = 0;
  const pending = new Set<Promise<void>>();
  const memory: Array<{ atS: number; rssMiB: number[]; heapMiB: number[] }> = [];

  const one = async (i: number) => {
    const r = replicas[i % 2] as AllocatorProcess;
    const t0 = performance.now();
    const created = await call(r, 'POST', '/v1/groups/soak/requests', {
      callerNumber: '+14155550123',
      userData: { customer: `c-${i}`, basket: [1, 2, 3] },
    });
    createMs.push(performance.now() - t0);
    count(`create ${created.status}`);
    if (created.status !== 201) return;
    const other = replicas[(i + 1) % 2] as AllocatorProcess;
    const t1 = performance.now();
    if (i % 3 === 0) {
      const m = await call(other, 'POST', '/v1/match', {
        dialledNumber: created.body.number,
        accessCode: created.body.accessCode,
      });
      count(`match ${m.status}`);
    } else if (i % 3 === 1) {
      // Cancel on the creating replica: the other one may not have seen the request yet.
      const c = await call(r, 'DELETE', `/v1/requests/${created.body.id}`);
      count(`cancel ${c.status}`);
    } else return;
    followMs.push(performance.now() - t1);
  };

  const sampleMemory = async (atS: number) => {
    const m = await Promise.all(replicas.map(metrics));
    memory.push({
      atS,
      rssMiB: m.map((x) => mib(x.c2c_allocator_process_resident_memory_bytes ?? NaN)),
      heapMiB: m.map((x) => mib(x.c2c_allocator_nodejs_heap_size_used_bytes ?? NaN)),
    });
  };

  console.log(`soak: ${RATE} creates/s for ${DURATION_MS / 1000} s on 2 replicas`);
  const started = performance.now();
  let nextSampleS = 0;
  while (performance.now() - started < DURATION_MS) {
    const elapsed = performance.now() - started;
    const due = Math.floor((elapsed / 1000) * RATE);
    while (sent < due) {
      const i = sent++;
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      inFlight++;
      const p = one(i)
        .catch(() => {
          count('transport error');
        })
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    if (elapsed / 1000 >= nextSampleS) {
      void sampleMemory(Math.round(elapsed / 1000));
      nextSampleS += 10;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const loadMs = performance.now() - started;
  await Promise.all(pending);
  await sampleMemory(Math.round((performance.now() - started) / 1000));

  // After the load: every lease must expire and the gauge return to zero on both replicas.
  const drainStarted = performance.now();
  let inUse: number[] = [];
  for (;;) {
    const m = await Promise.all(replicas.map(metrics));
    inUse = m.map((x) => x.c2c_allocator_numbers_in_use ?? NaN);
    if (inUse.every((n) => n === 0)) break;
    if (performance.now() - drainStarted > (EXPIRY_SECONDS + 60) * 1000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const drainS = round((performance.now() - drainStarted) / 1000, 1);
  const final = await Promise.all(replicas.map(metrics));

  createMs.sort((a, b) => a - b);
  followMs.sort((a, b) => a - b);
  const created = statuses.get('create 201') ?? 0;
  const operations = [...statuses.entries()]
    .filter(([k]) => / 2\d\d$/.test(k))
    .reduce((n, [, v]) => n + v, 0);
  const failures = Object.fromEntries([...statuses.entries()].filter(([k]) => !/ 2\d\d$/.test(k)));
  const afterWarmup = memory.filter((s) => s.atS >= WARMUP_MS / 1000);
  const first = afterWarmup[0] ?? memory[0];
  const last = memory.at(-1);
  const report = {
    date: new Date().toISOString(),
    command: 'npm run soak',
    machine: machine(loadAtStart),
    settings: {
      durationS: round(loadMs / 1000, 1),
      targetCreatesPerSecond: RATE,
      replicas: 2,
      pool: 2_000,
      uniqueDnis: true,
      expirySeconds: EXPIRY_SECONDS,
      mix: 'every create followed by a match (1/3, on the other replica), a cancel (1/3) or nothing (1/3, expires)',
      nats: 'single nats-server, JetStream file store, sync_interval: always',
      loopback: true,
    },
    requestsSent: sent,
    requestsSkippedAtInFlightCap: skipped,
    answers: Object.fromEntries(statuses),
    failures,
    throughput: {
      createsPerSecond: round(created / (loadMs / 1000), 1),
      httpOperationsPerSecond: round(operations / (loadMs / 1000), 1),
    },
    latencyMs: {
      create: {
        p50: round(quantile(createMs, 0.5)),
        p99: round(quantile(createMs, 0.99)),
        max: round(createMs.at(-1) ?? NaN),
      },
      matchOrCancel: {
        p50: round(quantile(followMs, 0.5)),
        p99: round(quantile(followMs, 0.99)),
        max: round(followMs.at(-1) ?? NaN),
      },
    },
    memory: {
      samples: memory,
      rssGrowthAfterWarmupMiB:
        last && first ? last.rssMiB.map((v, i) => round(v - (first.rssMiB[i] as number), 1)) : [],
      heapGrowthAfterWarmupMiB:
        last && first ? last.heapMiB.map((v, i) => round(v - (first.heapMiB[i] as number), 1)) : [],
    },
    afterLoad: {
      numbersInUse: inUse,
      liveRequests: final.map((m) => m.c2c_allocator_live_requests ?? 0),
      secondsUntilZero: drainS,
      returnedToZero: inUse.every((n) => n === 0),
      requestEndsSeenPerReplica: final.map((m) => m.c2c_allocator_request_ends_total ?? 0),
    },
  };
  const lat = report.latencyMs;
  await writeResults(
    'soak',
    report,
    `# Allocator soak

${report.date}, ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${report.machine.node}, load average at
start ${loadAtStart.join(' / ')} (other work shares the CPUs). Command: \`npm run soak\`
(\`SOAK_DURATION_MS\`, \`SOAK_RATE\` change the length and rate). Loopback only; 2 replicas, one
nats-server with \`sync_interval: always\`; a unique-DNIS group of 2,000 numbers, expiry ${EXPIRY_SECONDS} s.
${report.settings.mix}.

| measurement | result |
| --- | --- |
| load | ${report.settings.durationS} s at ${RATE} creates/s target, ${sent} creates sent, ${skipped} skipped at the in-flight cap of ${MAX_IN_FLIGHT} |
| throughput | ${report.throughput.createsPerSecond} creates/s, ${report.throughput.httpOperationsPerSecond} successful HTTP operations/s |
| answers | ${Object.entries(report.answers)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')} |
| failures (non-2xx, transport) | ${Object.keys(failures).length === 0 ? 'none' : JSON.stringify(failures)} |
| create latency (client side) | p50 ${lat.create.p50} ms, p99 ${lat.create.p99} ms, max ${lat.create.max} ms |
| match / cancel latency | p50 ${lat.matchOrCancel.p50} ms, p99 ${lat.matchOrCancel.p99} ms, max ${lat.matchOrCancel.max} ms |
| RSS per replica, after warm-up → end | ${first?.rssMiB.join(' / ')} → ${last?.rssMiB.join(' / ')} MiB (growth ${report.memory.rssGrowthAfterWarmupMiB.join(' / ')} MiB) |
| heap used per replica, after warm-up → end | ${first?.heapMiB.join(' / ')} → ${last?.heapMiB.join(' / ')} MiB (growth ${report.memory.heapGrowthAfterWarmupMiB.join(' / ')} MiB) |
| numbers in use after the load | ${inUse.join(' / ')} after ${drainS} s (${report.afterLoad.returnedToZero ? 'returned to zero' : 'DID NOT return to zero'}) |

Memory samples (every 10 s, MiB RSS per replica): ${memory.map((s) => `${s.atS}s ${s.rssMiB.join('/')}`).join(', ')}.
`,
  );
  console.log(
    JSON.stringify(
      {
        throughput: report.throughput,
        latencyMs: report.latencyMs,
        memory: { rss: report.memory.rssGrowthAfterWarmupMiB, heap: report.memory.heapGrowthAfterWarmupMiB },
        afterLoad: report.afterLoad,
        failures,
      },
      null,
      1,
    ),
  );
  console.log('wrote bench/results/soak.json and bench/results/soak.md');
  if (!report.afterLoad.returnedToZero || Object.keys(failures).length > 0) process.exitCode = 1;
} finally {
  await Promise.allSettled(replicas.map((r) => r.stop()));
  await nats.stop();
  await rm(work, { recursive: true, force: true });
}
