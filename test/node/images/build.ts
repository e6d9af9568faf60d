// npm run images:offline -- --out <dir> [--tag <tag>] [--prefix <prefix>]
// Builds the operator and allocator images as OCI archives without a Docker engine.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildProductImages, PRODUCT_IMAGE_NAMES } from './product-images.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    tag: { type: 'string', default: process.env.C2C_IMAGE_TAG },
    prefix: { type: 'string', default: process.env.C2C_IMAGE_PREFIX ?? 'click-to-call-in' },
  },
});
if (!values.out) {
  console.error('usage: node test/node/images/build.ts --out <dir> [--tag <tag>] [--prefix <prefix>]');
  process.exit(2);
}

const started = performance.now();
const built = await buildProductImages({
  projectDir: resolve(import.meta.dirname, '../../..'),
  outDir: resolve(values.out),
  ...(values.tag ? { tag: values.tag } : {}),
  prefix: values.prefix,
  log: (line) => console.error(line),
});
for (const name of PRODUCT_IMAGE_NAMES) {
  const image = built.images[name];
  console.log(`${image.name}\t${image.path}\t${(image.size / 1e6).toFixed(1)} MB`);
}
console.error(
  `Node.js ${built.nodeVersion}; built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
