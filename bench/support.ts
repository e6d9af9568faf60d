/** Pieces shared by the benchmark scripts. */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');

/** The value at quantile `q` (0…1) of an ascending array; NaN when it is empty. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** `x` rounded to `digits` decimals. */
export function round(x: number, digits = 2): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

/** A fresh temporary folder named `<prefix>…`, with a `logs` folder in it. */
export async function workDir(prefix: string): Promise<{ work: string; logDir: string }> {
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  const logDir = path.join(work, 'logs');
  await mkdir(logDir, { recursive: true });
  return { work, logDir };
}

/** The 1, 5 and 15 minute load averages now, to two decimals. */
export function loadAverage(): number[] {
  return loadavg().map((l) => round(l));
}

/** What a report says of the machine it ran on. */
export function machine(loadAverageAtStart: number[]) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    loadAverageAtStart,
  };
}

/** Writes `bench/results/<name>.json` (the report) and `bench/results/<name>.md`. */
export async function writeResults(name: string, report: unknown, markdown: string): Promise<void> {
  await mkdir(path.join(root, 'bench/results'), { recursive: true });
  await writeFile(path.join(root, `bench/results/${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(root, `bench/results/${name}.md`), markdown);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Milliseconds the process's main thread has spent runnable but waiting for a CPU, from
 * /proc/<pid>/schedstat (Linux, with schedstats); NaN elsewhere.
 */
export function runQueueWaitMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks on every architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Measures the CPU used by each named process (and by this one, as `load generator`) while `work`
 * runs; returns microseconds of CPU per unit of work done.
 */
export async function cpuPerUnit<T extends { units: number }>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMicrosPerUnit: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  const self = process.cpuUsage();
  const result = await work();
  const own = process.cpuUsage(self);
  const perUnit = (seconds: number) => round((seconds * 1e6) / Math.max(1, result.units), 1);
  const cpuMicrosPerUnit: Record<string, number> = {
    'load generator': perUnit((own.user + own.system) / 1e6),
  };
  for (const [k, pid] of Object.entries(pids)) {
    cpuMicrosPerUnit[k] = perUnit(processCpuSeconds(pid) - (before[k] as number));
  }
  return { result, cpuMicrosPerUnit };
}

/** A ConfigMap document with `numbers` as the pool CSV under the key `pool.csv`, for a groups folder. */
export function poolConfigMapYaml(name: string, numbers: string[]): string {
  const csv = ['number,description', ...numbers.map((n) => `${n},`)].map((line) => `    ${line}`);
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name} }
data:
  pool.csv: |
${csv.join('\n')}
`;
}

/** Closed loop: `concurrency` workers calling `op` as fast as they can for `ms`. */
export async function closedLoop(
  concurrency: number,
  ms: number,
  op: (i: number) => Promise<boolean>,
  maxCalls = Infinity,
): Promise<{ ok: number; failed: number; perSecond: number }> {
  const end = Date.now() + ms;
  let ok = 0;
  let failed = 0;
  let n = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end && n < maxCalls) {
        if (await op(n++)) ok++;
        else failed++;
      }
    }),
  );
  return { ok, failed, perSecond: Math.round(ok / ((Date.now() - started) / 1000)) };
}
