/** `npm run generate`: rewrites the CRD, the TypeScript types and the ajv validator from the schema. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateFiles, repoRoot } from './generate-files.ts';

const files = await generateFiles();
for (const [file, content] of Object.entries(files)) {
  const target = path.join(repoRoot, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  console.log(`generated ${file}`);
}
