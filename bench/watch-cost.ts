/**
 * What one replica pays for another's writes: allocator A takes unique-DNIS creates, then
 * shared-number creates; a passive allocator B on the same bucket, and two bare watchers (a NATS
 * client with an ordered push consumer of the unique-DNIS keys that only counts: with payloads, and
 * headers only), are measured in CPU per write, each less its own CPU over an idle window of the
 * same length. Writes bench/results/watch-cost.json and .md.
 *
 *   npm run bench -- watch-cost
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AllocatorProcess } from '../test/integration/allocator/allocator-process.ts';
import { NatsServer } from '../test/harness/nats-server.ts';
import {
  closedLoop,
  loadAverage,
  machine,
  poolConfigMapYaml,
  processCpuSeconds,
  round,
  workDir,
  writeResults,
} from './support.ts';

const WRITES = 8_000;
const CONCURRENCY = 64;
const { work, logDir } = await workDir('c2c-bench-watch-');
const nats = new NatsServer(path.join(work, 'nats'), logDir, { name: 'bench-watch-nats' });
const loadAtStart = loadAverage();
const processes: AllocatorProcess[] = [];
const watchers: ChildProcess[] = [];

const pool = (base: number) =>
  Array.from({ length: 10_000 }, (_, i) => `+1800${String(base + i).padStart(7, '0')}`);
const group = (name: string, poolName: string, unique: boolean) => `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: ${name} }
spec:
  dnisPoolFrom: { configMapKeyRef: { name: ${poolName}, key: pool.csv } }
  accessCode: { generate: true, length: 6 }
  uniqueDnis: ${unique}
  expirySeconds: 300
---
`;

/** A bare watcher process, once subscribed. */
async function startWatcher(bucket: string, headersOnly: boolean): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [path.join(import.meta.dirname, 'watch-client.ts'), nats.info.url, bucket, headersOnly ? '1' : '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  watchers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`watcher exited with ${code}`)));
  });
  return child;
}

try {
  await nats.start();
  const groupsDir = path.join(work, 'groups');
  await mkdir(groupsDir);
  await writeFile(
    path.join(groupsDir, 'groups.yaml'),
    `${poolConfigMapYaml('unique-pool', pool(2_000_000))}---
${poolConfigMapYaml('shared-pool', pool(3_000_000))}---
${group('unique', 'unique-pool', true)}${group('shared', 'shared-pool', false)}`,
  );
  const bucket = 'bench-watch';
  const args = ['--nats-url', nats.info.url, '--nats-bucket', bucket, '--groups-dir', groupsDir];
  const a = await AllocatorProcess.start('bench-watch-a', [...args, '--rate-limit-rps', '0'], logDir);
  const b = await AllocatorProcess.start('bench-watch-b', args, logDir);
  processes.push(a, b);
  const full = await startWatcher(bucket, false);
  const headers = await startWatcher(bucket, true);
  const pids: Record<string, number> = {
    'passive allocator': b.process.pid,
    'bare watcher': full.pid ?? -1,
    'bare watcher, headers only': headers.pid ?? -1,
    'nats-server': nats.info.pid,
  };
  const cpu = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  const body = JSON.stringify({ callerNumber: '+14155550123', userData: { customer: 'c-42' } });
  /** WRITES creates on `groupName` through A, with the CPU each watcher spent per create beyond its idle CPU. */
  const measure = async (groupName: string) => {
    let sent = 0;
    const create = async () => {
      if (sent++ >= WRITES) return false;
      const res = await fetch(`${a.url}/v1/groups/${groupName}/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      return res.status === 201;
    };
    const before = cpu();
    const started = performance.now();
    const loop = await closedLoop(CONCURRENCY, 60_000, create, WRITES);
    const ms = performance.now() - started;
    // Messages still on their way to the watchers.
    await new Promise((r) => setTimeout(r, 500));
    const loaded = cpu();
    await new Promise((r) => setTimeout(r, ms + 500));
    const idle = cpu();
    const perWrite: Record<string, number> = {};
    for (const k of Object.keys(pids)) {
      const busy = (loaded[k] ?? 0) - (before[k] ?? 0);
      const rest = (idle[k] ?? 0) - (loaded[k] ?? 0);
      perWrite[k] = round(((busy - rest) * 1e6) / loop.ok, 1);
    }
    return { created: loop.ok, perSecond: loop.perSecond, cpuMicrosPerWriteBeyondIdle: perWrite };
  };
  const unique = await measure('unique');
  console.log(`unique-DNIS creates: ${JSON.stringify(unique)}`);
  const shared = await measure('shared');
  console.log(`shared-number creates: ${JSON.stringify(shared)}`);
  const report = {
    date: new Date().toISOString(),
    machine: machine(loadAtStart),
    writes: WRITES,
    unique,
    shared,
  };
  const columns = Object.keys(pids);
  const row = (label: string, r: typeof unique) =>
    `| ${label} (${r.created} at ${r.perSecond}/s) | ${columns.map((c) => r.cpuMicrosPerWriteBeyondIdle[c]).join(' | ')} |`;
  await writeResults(
    'watch-cost',
    report,
    `# What one replica pays for another's writes

${report.date}, ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${report.machine.node}, load average at
start ${loadAtStart.join(' / ')}. One allocator takes the creates (${CONCURRENCY} in flight); the others only
watch. CPU µs per create, user + system from /proc, less each process's own CPU over an idle window
of the same length. Command: \`npm run bench -- watch-cost\`.

| creates through allocator A | ${columns.join(' | ')} |
| --- | ${columns.map(() => '---:').join(' | ')} |
${row('unique-DNIS', unique)}
${row('shared-number', shared)}

The passive allocator watches only the unique-DNIS keys (docs/allocator.md § Picking a number), so a
shared-number create costs it nothing; a bare watcher is the floor of any watch that delivers each
write to each process. nats-server's figure is its whole CPU per create (the write, the records
stream, and the deliveries to the three watchers).
`,
  );
  console.log('wrote bench/results/watch-cost.json and bench/results/watch-cost.md');
} finally {
  for (const w of watchers) w.kill('SIGTERM');
  await Promise.allSettled(processes.map((p) => p.stop()));
  await nats.stop();
  await rm(work, { recursive: true, force: true });
}
