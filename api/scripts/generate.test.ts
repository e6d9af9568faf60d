import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateFiles, repoRoot } from './generate-files.ts';

describe('generated files', () => {
  it('match what `npm run generate` makes from the schema (run it after editing the schema)', async () => {
    const files = await generateFiles();
    expect(Object.keys(files).sort()).toEqual([
      'api/generated/types.ts',
      'api/generated/validate-spec.d.ts',
      'api/generated/validate-spec.js',
      'charts/click-to-call-in/files/crds/clicktocall.dev_clicktocallingroups.yaml',
      'crds/clicktocall.dev_clicktocallingroups.yaml',
    ]);
    for (const [file, content] of Object.entries(files)) {
      const onDisk = await readFile(path.join(repoRoot, file), 'utf8');
      expect(onDisk, `${file} is stale: run npm run generate`).toBe(content);
    }
  });
});
