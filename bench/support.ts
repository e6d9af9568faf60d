/** Pieces shared by the benchmark scripts. */
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
