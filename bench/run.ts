// Runs every benchmark script in turn (or the ones named on the command line), each in its own
// process; each script writes its figures to bench/results/<name>.json and .md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const all = [
  'api',
  'operator',
  'allocator',
  'watch-cost',
  'memory',
  'records-stream',
  'records-page',
  'pool-policies',
];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark(s) ${unknown.join(', ')}; choose from ${all.join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of chosen) {
  const script = path.join(import.meta.dirname, `${name}.ts`);
  if (!existsSync(script)) {
    console.error(`bench: ${script} is missing`);
    failed++;
    continue;
  }
  console.log(`bench: ${name} ...`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  console.log(
    `bench: ${name} finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${result.status})`,
  );
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
