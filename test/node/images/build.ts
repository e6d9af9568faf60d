// npm run images:offline -- [--out <dir>] [--tag <tag>] [--prefix <prefix>] [--no-cache]
// Builds the operator and allocator images as OCI archives without a Docker engine and prints their names.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultImagesCacheDir, NO_LAYER_CACHE } from './layer-cache.ts';
import { buildProductImages, PRODUCT_IMAGE_NAMES } from './product-images.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(defaultImagesCacheDir(), 'archives') },
    tag: { type: 'string', default: process.env.C2C_IMAGE_TAG },
    prefix: { type: 'string', default: process.env.C2C_IMAGE_PREFIX ?? 'click-to-call-in' },
    'no-cache': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: node test/node/images/build.ts [--out <dir>] [--tag <tag>] [--prefix <prefix>] [--no-cache]',
  );
  process.exit(0);
}

const started = performance.now();
const built = await buildProductImages({
  projectDir: resolve(import.meta.dirname, '../../..'),
  outDir: resolve(values.out),
  ...(values.tag ? { tag: values.tag } : {}),
  prefix: values.prefix,
  ...(values['no-cache'] ? { cache: NO_LAYER_CACHE } : {}),
  log: (line) => console.error(line),
});
for (const name of PRODUCT_IMAGE_NAMES) {
  const image = built.images[name];
  console.log(`${image.name}\t${image.path}\t${(image.size / 1e6).toFixed(1)} MB`);
}
console.error(
  `Node.js ${built.nodeVersion}; built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
