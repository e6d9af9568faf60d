// Memory of one allocator replica: MB per 1,000 live requests in its view, per 1,000 ended records it
// holds, and per 1,000 pool numbers of configured groups. Each replica holds the whole view, so a
// replica's memory does not depend on how many replicas there are. Writes bench/results/memory.*.
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeRecord, LiveView, removalOf, slotKey, type CallInRequest } from '#allocator/domain/index';
import { GroupRegistry } from '#allocator/groups/index';
import type { ResolvedGroup } from '#api';
import { loadAverage, machine, round, writeResults } from './support.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** A request as the API makes them: UUID id, E.164 number, 6-digit code, caller, description. */
function request(i: number, now: number): CallInRequest {
  const number = `+1800${String(1_000_000 + (i % 10_000)).padStart(7, '0')}`;
  const accessCode = String(100_000 + Math.floor(i / 10_000));
  return {
    id: randomUUID(),
    groupName: 'auto_insurance',
    number,
    description: 'Auto insurance claims line',
    accessCode,
    callerNumber: `+1415${String(1_000_000 + i).slice(-7)}`,
    uniqueDnis: false,
    createdAtMs: now,
    expiresAtMs: now + 1_800_000,
    key: slotKey('auto_insurance', number, { kind: 'code', accessCode }),
  };
}

function view(now: number): LiveView {
  const v = new LiveView({ now: () => now, historyMs: 3_600_000, historyMaxEntries: 1_000_000 });
  v.apply({ type: 'snapshot', entries: [] });
  return v;
}

interface Row {
  what: string;
  count: number;
  mb: number;
  mbPer1000: number;
}

function measure(what: string, count: number, fill: (n: number) => unknown): Row {
  const before = heapMb();
  const held = fill(count);
  const mb = heapMb() - before;
  if (held === undefined) throw new Error('nothing held');
  return { what, count, mb: round(mb, 1), mbPer1000: round((mb / count) * 1000, 3) };
}

const now = Date.now();
const load = loadAverage();
const rows: Row[] = [];
for (const count of [10_000, 100_000, 250_000]) {
  rows.push(
    measure('live requests in the view', count, (n) => {
      const v = view(now);
      for (let i = 0; i < n; i++) {
        const r = request(i, now);
        v.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: i + 1 });
      }
      return v;
    }),
  );
}
for (const count of [10_000, 100_000]) {
  rows.push(
    measure('ended records in the view', count, (n) => {
      const v = view(now);
      for (let i = 0; i < n; i++) {
        const r = request(i, now);
        v.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 2 * i + 1 });
        const reason = encodeRecord(removalOf(r, 'matched', now));
        v.apply({ type: 'removed', key: r.key, revision: 2 * i + 2, reason });
      }
      return v;
    }),
  );
}
for (const [groups, poolSize] of [
  [10, 1_000],
  [10, 10_000],
  [100, 1_000],
] as const) {
  rows.push(
    measure(`pool numbers of ${groups} groups × ${poolSize}`, groups * poolSize, () => {
      const registry = new GroupRegistry();
      for (let g = 0; g < groups; g++) {
        const group: ResolvedGroup = {
          groupName: `group-${g}`,
          accessCode: { generate: true, length: 6 },
          expirySeconds: 30,
          uniqueDnis: false,
          coolDownSeconds: 0,
          selection: { strategy: 'random', stickySeconds: 0 },
          dnisPool: Array.from({ length: poolSize }, (_, i) => ({
            number: `+1${String(200 + g).padStart(3, '0')}${String(1_000_000 + i).slice(-7)}`,
            description: 'Claims line',
          })),
        };
        registry.set(`bench:${g}`, group);
      }
      return registry;
    }),
  );
}

const report = { machine: machine(load), rows };
const md = `# Memory of one allocator replica

\`npm run bench -- memory\` (heap after full GCs, Node ${process.version}). Each replica holds the
whole view, so these figures are per replica whatever the replica count.

| what | count | MB | MB per 1,000 |
| --- | ---: | ---: | ---: |
${rows.map((r) => `| ${r.what} | ${r.count.toLocaleString('en')} | ${r.mb} | ${r.mbPer1000} |`).join('\n')}
`;
await writeResults('memory', report, md);
console.log(md);
