/**
 * Benchmarks of the group API on the worst case: 10,000 numbers of 16 characters with 32-character
 * descriptions. Writes bench/results/api.json and api.md. Not a test: figures depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import metadata from 'libphonenumber-js/min/metadata';
import { validatePhoneNumberLength } from 'libphonenumber-js/core';
import {
  decodeGroupConfig,
  encodeGroupConfig,
  formatDnisCsv,
  parseDnisCsv,
  resolveGroup,
  validateGroupSpec,
} from '#api';

const pool = Array.from({ length: 10_000 }, (_, i) => ({
  number: `+491${String(100_000_000_000 + i * 7919).padStart(12, '0')}`,
  description: `Campaign ${String(i).padStart(23, '0')}`,
}));
if (!pool.every((e) => e.number.length === 16 && e.description.length === 32))
  throw new Error('bench: pool is not the worst case');
const spec = {
  groupName: 'worst_case',
  dnisPool: pool,
  accessCode: { generate: true, length: 6 },
  expirySeconds: 30,
};
const csv = formatDnisCsv(pool, { header: true });

interface Figure {
  name: string;
  firstMs: number;
  medianMs: number;
  p95Ms: number;
  runs: number;
}

function measure(name: string, runs: number, fn: () => unknown): Figure {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  const first = times[0] ?? 0;
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const figure = { name, firstMs: round(first), medianMs: round(at(0.5)), p95Ms: round(at(0.95)), runs };
  console.log(
    `bench api: ${name}: first ${figure.firstMs} ms, median ${figure.medianMs} ms, p95 ${figure.p95Ms} ms (${runs} runs)`,
  );
  return figure;
}

const figures: Figure[] = [];
figures.push(
  measure('validateGroupSpec, 10,000 numbers (CREATE)', 30, () => {
    const r = validateGroupSpec(spec);
    if (r.errors.length > 0) throw new Error(r.errors[0]?.message);
  }),
);
figures.push(
  measure('validateGroupSpec, 10,000 numbers, UPDATE with nothing changed', 30, () =>
    validateGroupSpec(spec, { previousSpec: spec }),
  ),
);
figures.push(
  measure('parseDnisCsv, 10,000 lines', 30, () => {
    const r = parseDnisCsv(csv);
    if (r.errors.length > 0 || r.entries.length !== 10_000) throw new Error('bench: CSV did not parse');
  }),
);
figures.push(
  measure('resolveGroup, 10,000 numbers from a CSV (dnisPoolFrom)', 30, () =>
    resolveGroup(
      { dnisPoolFrom: { configMapKeyRef: { name: 'pool', key: 'pool.csv' } } },
      { metadataName: 'w', csvPool: { text: csv, source: 'pool.csv' } },
    ),
  ),
);
const group = resolveGroup(spec, { metadataName: 'w' }).group;
if (!group) throw new Error('bench: worst case did not resolve');
const data = encodeGroupConfig(group);
figures.push(measure('encodeGroupConfig, 10,000 numbers', 30, () => encodeGroupConfig(group)));
figures.push(measure('decodeGroupConfig, 10,000 numbers', 30, () => decodeGroupConfig(data)));
figures.push(
  measure('for comparison: libphonenumber-js validatePhoneNumberLength on each of 10,000 numbers', 10, () => {
    for (const e of pool) validatePhoneNumberLength(e.number, metadata);
  }),
);

// The whole CLI process: `c2c import` of a 10,000-line CSV, and `c2c validate` of the result.
const dir = await mkdtemp(path.join(tmpdir(), 'c2c-bench-'));
await mkdir(dir, { recursive: true });
const csvFile = path.join(dir, 'pool.csv');
await writeFile(csvFile, csv);
const cli = path.join(import.meta.dirname, '../api/src/cli/main.ts');
const out = path.join(dir, 'group.yaml');
const processFigure = (name: string, args: string[]): Figure => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`bench: c2c ${args.join(' ')} failed: ${r.stderr}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const figure = {
    name,
    firstMs: Math.round(times[0] ?? 0),
    medianMs: Math.round(sorted[2] ?? 0),
    p95Ms: Math.round(sorted[4] ?? 0),
    runs: 5,
  };
  console.log(`bench api: ${name}: median ${figure.medianMs} ms (whole process, 5 runs)`);
  return figure;
};
figures.push(
  processFigure('c2c import of a 10,000-line CSV (whole process)', [
    'import',
    csvFile,
    '--group',
    'worst_case',
    '-o',
    out,
  ]),
);
figures.push(
  processFigure('c2c validate of the imported 10,000-number group (whole process)', ['validate', out]),
);
await rm(dir, { recursive: true, force: true });

const sizes = {
  inlinePoolJsonBytes: JSON.stringify(pool).length,
  csvBytes: csv.length,
  configMapDataBytes: Object.values(data).reduce((n, v) => n + Buffer.byteLength(v), 0),
};
const result = {
  node: process.version,
  cpu: (await import('node:os')).cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString(),
  figures,
  sizes,
};
const resultsDir = path.join(import.meta.dirname, 'results');
await mkdir(resultsDir, { recursive: true });
await writeFile(path.join(resultsDir, 'api.json'), `${JSON.stringify(result, null, 2)}\n`);
const md = [
  `# API benchmarks (${result.date}, Node ${result.node}, ${result.cpu})`,
  '',
  'Worst case: 10,000 numbers of 16 characters with 32-character descriptions.',
  '',
  '| what | first run (ms) | median (ms) | p95 (ms) | runs |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...figures.map((f) => `| ${f.name} | ${f.firstMs} | ${f.medianMs} | ${f.p95Ms} | ${f.runs} |`),
  '',
  `Sizes: inline pool JSON ${sizes.inlinePoolJsonBytes} B, CSV ${sizes.csvBytes} B, group ConfigMap data ${sizes.configMapDataBytes} B.`,
  '',
].join('\n');
await writeFile(path.join(resultsDir, 'api.md'), md);
