/**
 * Writes examples/large-pool/pool.csv: 10,000 toll-free numbers (+1 800 555 0000 to 9999) labelled
 * with one of 50 campaign ids. Then `c2c import` turns it into examples/large-pool/group.yaml.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './generate-files.ts';

const lines = ['number,description'];
for (let i = 0; i < 10_000; i++) {
  lines.push(`+1800555${String(i).padStart(4, '0')},web-${String((i % 50) + 1).padStart(2, '0')}`);
}
await writeFile(path.join(repoRoot, 'examples/large-pool/pool.csv'), `${lines.join('\n')}\n`);
