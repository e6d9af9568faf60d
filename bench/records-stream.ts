// The server-side cost of the durable records: nats-server CPU per KV create (per-message TTL, as an
// allocation writes) into a bucket alone, and into a bucket whose slot subjects a records stream
// sources (what the allocator sets up). Alternating rounds on one nats-server, medians reported.
// Writes bench/results/records-stream.json and .md.
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '../test/harness/nats-server.ts';
import { closedLoop, cpuPerUnit, loadAverage, machine, round, workDir, writeResults } from './support.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const { work, logDir } = await workDir('c2c-bench-records-');
const nats = new NatsServer(path.join(work, 'nats'), logDir, { name: 'bench-records-nats' });
const loadAtStart = loadAverage();
const value = new TextEncoder().encode(
  JSON.stringify({
    id: '6f1c8e2a-3b4d-4c5e-8f9a-0b1c2d3e4f5a',
    number: '+18005550000',
    accessCode: '123456',
  }),
);

interface Round {
  records: boolean;
  perSecond: number;
  natsMicros: number;
  clientMicros: number;
  sourced: number;
  created: number;
}

async function round_(bucket: string, records: boolean): Promise<Round> {
  const nc = await connect({ servers: nats.info.url, noAsyncTraces: true });
  try {
    const kv = await new Kvm(nc).create(bucket, { history: 1, markerTTL: 5_000 });
    const jsm = await jetstreamManager(nc);
    const recordsStream = `C2C_RECORDS_${bucket}`;
    if (records)
      await jsm.streams.add({
        name: recordsStream,
        sources: [{ name: `KV_${bucket}`, filter_subject: `$KV.${bucket}.s.>` }],
        max_age: 3_600 * 1e9,
      });
    let next = 0;
    const create = () =>
      kv.create(`s.k.${next++}`, value, '300s').then(
        () => true,
        () => false,
      );
    await closedLoop(CONCURRENCY, 1_000, create);
    const { result, cpuMicrosPerUnit } = await cpuPerUnit({ 'nats-server': nats.info.pid }, async () => {
      const r = await closedLoop(CONCURRENCY, DURATION_MS, create);
      // The sourcing catches up after the load: count its work in the same window.
      if (records)
        for (let i = 0; i < 50; i++) {
          const s = await jsm.streams.info(recordsStream);
          if (s.state.messages >= next) break;
          await new Promise((res) => setTimeout(res, 100));
        }
      return { ...r, units: r.ok };
    });
    const sourced = records ? (await jsm.streams.info(recordsStream)).state.messages : 0;
    return {
      records,
      perSecond: result.perSecond,
      natsMicros: cpuMicrosPerUnit['nats-server'] ?? Number.NaN,
      clientMicros: cpuMicrosPerUnit['load generator'] ?? Number.NaN,
      sourced,
      created: next,
    };
  } finally {
    await nc.close();
  }
}

/**
 * What one catch-up's read of the last record costs, on a records stream of `subjects` keys: by the
 * records' subject filter (the server walks every subject it holds) against the stream's last
 * message (read at once), as the allocator reads it.
 */
async function lastRecordReads(subjects: number, reads = 2_000) {
  const nc = await connect({ servers: nats.info.url, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    const stream = 'rs-last-record';
    await jsm.streams.add({ name: stream, subjects: ['$KV.rs.s.>'] });
    for (let i = 0; i < subjects; i += 1_000)
      await Promise.all(
        Array.from({ length: Math.min(1_000, subjects - i) }, (_, j) =>
          js.publish(`$KV.rs.s.g.${i + j}.c1`, value),
        ),
      );
    const by = async (filter: string) => {
      const started = performance.now();
      const { cpuMicrosPerUnit } = await cpuPerUnit({ 'nats-server': nats.info.pid }, async () => {
        for (let i = 0; i < reads; i++) await jsm.streams.getMessage(stream, { last_by_subj: filter });
        return { units: reads };
      });
      return {
        msPerRead: round((performance.now() - started) / reads, 3),
        natsMicrosPerRead: cpuMicrosPerUnit['nats-server'] ?? Number.NaN,
      };
    };
    const result = { subjects, reads, byFilter: await by('$KV.rs.s.>'), lastMessage: await by('>') };
    await jsm.streams.delete(stream);
    return result;
  } finally {
    await nc.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

try {
  await nats.start();
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const records of [false, true]) {
      const result = await round_(`rs-${records ? 'with' : 'without'}-${r}`, records);
      console.log(JSON.stringify(result));
      rounds.push(result);
    }
  }
  const summary = (records: boolean) => {
    const mine = rounds.filter((x) => x.records === records);
    return {
      perSecond: median(mine.map((x) => x.perSecond)),
      natsMicros: round(median(mine.map((x) => x.natsMicros)), 1),
      clientMicros: round(median(mine.map((x) => x.clientMicros)), 1),
    };
  };
  const without = summary(false);
  const withRecords = summary(true);
  const lastRecord = await lastRecordReads(100_000);
  console.log(JSON.stringify(lastRecord));
  const report = {
    machine: machine(loadAtStart),
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    rounds,
    without,
    withRecords,
    natsCpuRatio: round(withRecords.natsMicros / without.natsMicros, 2),
    throughputRatio: round(withRecords.perSecond / without.perSecond, 2),
    lastRecord,
  };
  const md = `# Records stream: server-side cost

\`npm run bench -- records-stream\`: ${ROUNDS} alternating rounds of ${DURATION_MS / 1000} s, ${CONCURRENCY}
creates in flight, one nats-server on loopback; load average at start ${loadAtStart.join(' / ')}
(${machine(loadAtStart).cpus} CPUs). Medians.

| bucket | creates/s | nats-server µs CPU per create | client µs per create |
| --- | ---: | ---: | ---: |
| alone | ${without.perSecond} | ${without.natsMicros} | ${without.clientMicros} |
| with the records stream sourcing its slot keys | ${withRecords.perSecond} | ${withRecords.natsMicros} | ${withRecords.clientMicros} |

nats-server CPU per create with the records stream ÷ without: **${report.natsCpuRatio}×**; creates/s
ratio ${report.throughputRatio}×. The records cost the server; no client write is added.

The last record, as each catch-up first reads it, on a stream of ${lastRecord.subjects.toLocaleString('en-US')} subjects (${lastRecord.reads.toLocaleString('en-US')} reads each):

| read | ms per read (round trip) | nats-server µs CPU per read |
| --- | ---: | ---: |
| by the records' subject filter (\`last_by_subj: $KV.<bucket>.s.>\`) | ${lastRecord.byFilter.msPerRead} | ${lastRecord.byFilter.natsMicrosPerRead} |
| the stream's last message (\`last_by_subj: >\`, what the allocator reads) | ${lastRecord.lastMessage.msPerRead} | ${lastRecord.lastMessage.natsMicrosPerRead} |
`;
  await writeResults('records-stream', report, md);
  console.log(md);
} finally {
  await nats.stop();
}
