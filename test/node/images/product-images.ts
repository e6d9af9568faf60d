// The operator and allocator images, built without a Docker engine the way the Dockerfile builds them:
// stage 1 compiles dist/ with tsc, stage 2 installs the production dependencies with `npm ci --omit=dev`,
// stage 3 puts both on a Node.js 24 base as root-owned files under /app, run as user 1000. Both images share
// every layer; only their configurations differ. The drift test (test/integration/images/) holds these
// declarations against the Dockerfile.
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { buildLayer, type FileSpec } from './layer.ts';
import { cacheKey, defaultImagesCacheDir, diskLayerCache, type LayerCache } from './layer-cache.ts';
import { baseLayerFiles, findNodeRuntime, IMAGE_PATH_ENV } from './node-runtime.ts';
import { writeOciArchive, type ImageConfig, type Layer, type WrittenImage } from './oci-image.ts';

const run = promisify(execFile);

export const PRODUCT_IMAGE_NAMES = ['operator', 'allocator'] as const;
export type ProductImageName = (typeof PRODUCT_IMAGE_NAMES)[number];

/** The runtime stage's settings, shared by both images. */
export const RUNTIME = {
  workingDir: '/app',
  user: '1000:1000',
  env: { NODE_ENV: 'production', NODE_OPTIONS: '--enable-source-maps' },
  /** What the runtime stage copies into the working directory, each from its stage. */
  content: { node_modules: 'runtime-deps', dist: 'build', 'package.json': 'context' },
} as const;

/** What tsc compiles in the build stage (tsconfig.build.json's include), copied from the build context. */
export const BUILD_SOURCES = ['api', 'lib', 'operator', 'allocator'] as const;

/**
 * Folders the build stage copies into dist/ as they are, after tsc (`cp -R <folder> dist/<parent>/`):
 * the records page's static files, which the compiled allocator serves from dist/allocator/ui/.
 */
export const BUILD_ASSETS = ['allocator/ui'] as const;

export const PRODUCT_IMAGES: Record<ProductImageName, Omit<ImageConfig, 'env' | 'user' | 'workingDir'>> = {
  operator: {
    entrypoint: ['node', '--conditions=compiled', 'dist/operator/src/main.js'],
    exposedPorts: [8080, 9443],
    labels: {
      'org.opencontainers.image.title': 'click-to-call-in operator',
      'org.opencontainers.image.licenses': 'Apache-2.0',
    },
  },
  allocator: {
    entrypoint: ['node', '--conditions=compiled', 'dist/allocator/src/main.js'],
    exposedPorts: [8080],
    labels: {
      'org.opencontainers.image.title': 'click-to-call-in allocator',
      'org.opencontainers.image.licenses': 'Apache-2.0',
    },
  },
};

export interface ProductImagesOptions {
  readonly projectDir: string;
  readonly outDir: string;
  /** Default: the package version, as `npm run images` tags. */
  readonly tag?: string;
  /** Default `click-to-call-in`. */
  readonly prefix?: string;
  readonly log?: (line: string) => void;
  /** Default: layers kept in `defaultImagesCacheDir()`; `NO_LAYER_CACHE` builds everything. */
  readonly cache?: LayerCache;
}

export interface ProductImages {
  readonly images: Record<ProductImageName, WrittenImage>;
  readonly nodeVersion: string;
  /** Seconds per step. */
  readonly timings: Record<string, number>;
}

export async function buildProductImages(options: ProductImagesOptions): Promise<ProductImages> {
  const { projectDir, outDir } = options;
  const log = options.log ?? (() => undefined);
  const packageJson = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const tag = options.tag ?? packageJson.version;
  const prefix = options.prefix ?? 'click-to-call-in';
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings[step] = Math.round(performance.now() - started) / 1000;
    log(`${step}: ${timings[step]} s`);
    return result;
  };

  const cache = options.cache ?? diskLayerCache(defaultImagesCacheDir());
  const staging = await mkdtemp(join(tmpdir(), 'c2c-images-'));
  try {
    await mkdir(outDir, { recursive: true });
    const runtime = await findNodeRuntime(projectDir);
    if (!runtime.version.startsWith('24.'))
      throw new Error(`the node package holds Node.js ${runtime.version}, not 24`);
    const cachedStep = async (
      step: string,
      kind: string,
      key: Promise<string>,
      build: () => Promise<Layer>,
    ) => {
      const started = performance.now();
      const { layer, hit } = await cache.layer(kind, await key, build);
      timings[step] = Math.round(performance.now() - started) / 1000;
      log(`${step}${hit ? ' (cached)' : ''}: ${timings[step]} s`);
      return layer;
    };

    const baseFiles = [...baseLayerFiles(runtime), { path: RUNTIME.workingDir, type: 'dir' } as const];
    const layers = await allSettled([
      cachedStep('base layer (Node.js ' + runtime.version + ')', 'base', filesKey(baseFiles), () =>
        buildLayer({
          files: baseFiles,
          comment: `Node.js ${runtime.version} on the host's glibc, user 1000 node, WORKDIR ${RUNTIME.workingDir}`,
        }),
      ),
      cachedStep(
        'runtime-deps stage (npm ci --omit=dev)',
        'node-modules',
        dependenciesKey(projectDir),
        async () =>
          buildLayer({
            fromDir: await installProductionDependencies(projectDir, join(staging, 'deps')),
            prefix: `${RUNTIME.workingDir}/node_modules`,
            comment: 'COPY node_modules',
          }),
      ),
      cachedStep('build stage (tsc)', 'dist', sourcesKey(projectDir), async () =>
        buildLayer({
          fromDir: await compileDist(projectDir, join(staging, 'dist')),
          prefix: `${RUNTIME.workingDir}/dist`,
          comment: 'COPY dist',
        }),
      ),
      buildLayer({
        files: [{ path: `${RUNTIME.workingDir}/package.json`, fromPath: join(projectDir, 'package.json') }],
        comment: 'COPY package.json',
      }),
    ]);

    const written = await timed('archives', () =>
      Promise.all(
        PRODUCT_IMAGE_NAMES.map((name) =>
          writeOciArchive(
            {
              ref: `${prefix}/${name}:${tag}`,
              layers,
              config: {
                ...PRODUCT_IMAGES[name],
                user: RUNTIME.user,
                workingDir: RUNTIME.workingDir,
                env: { PATH: IMAGE_PATH_ENV, NODE_VERSION: runtime.version, ...RUNTIME.env },
              },
            },
            join(outDir, `${name}.tar`),
          ),
        ),
      ),
    );
    const [operator, allocator] = written as [WrittenImage, WrittenImage];
    return { images: { operator, allocator }, nodeVersion: runtime.version, timings };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The base layer's key: its declared files, and the size and mtime of each host file it copies. */
async function filesKey(files: readonly FileSpec[]): Promise<string> {
  const hostFiles = await Promise.all(
    files.map(async (file) => {
      if (file.fromPath === undefined) return '';
      const info = await stat(file.fromPath);
      return `${file.fromPath}:${info.size}:${info.mtimeMs}`;
    }),
  );
  return cacheKey(JSON.stringify(files), ...hostFiles);
}

/** What `npm ci --omit=dev` installs depends on the lock file and the dependencies it was made from. */
async function dependenciesKey(projectDir: string): Promise<string> {
  const lock = await readFile(join(projectDir, 'package-lock.json'));
  const manifest = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const { dependencies, optionalDependencies, overrides } = manifest;
  return cacheKey(lock, JSON.stringify({ dependencies, optionalDependencies, overrides }), process.arch);
}

/** What tsc emits depends on the sources it compiles, the tsconfig files and the TypeScript version. */
async function sourcesKey(projectDir: string): Promise<string> {
  const parts: (string | Buffer)[] = [];
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript/package.json']) {
    parts.push(file, await readFile(join(projectDir, file)));
  }
  for (const dir of BUILD_SOURCES) {
    for (const file of await listFiles(join(projectDir, dir))) {
      parts.push(`${dir}/${file}`, await readFile(join(projectDir, dir, file)));
    }
  }
  return cacheKey(...parts);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Like Promise.all, but waits for every step to end before it rejects, so that nothing still writes to the staging folder. */
async function allSettled<T extends readonly unknown[]>(steps: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Stage 1: `tsc -p tsconfig.build.json`, into `outDir` instead of the project's dist/, then the assets. */
async function compileDist(projectDir: string, outDir: string): Promise<string> {
  const tsc = join(projectDir, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', join(projectDir, 'tsconfig.build.json'), '--outDir', outDir], {
      cwd: projectDir,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    // tsc reports type errors on stdout; the Dockerfile's build stage fails on them too.
    const { stdout = '' } = error as { stdout?: string };
    throw new Error(`the build stage (tsc -p tsconfig.build.json) failed:\n${stdout.trim()}`, {
      cause: error,
    });
  }
  for (const folder of BUILD_ASSETS) {
    await mkdir(join(outDir, dirname(folder)), { recursive: true });
    await cp(join(projectDir, folder), join(outDir, folder), { recursive: true });
  }
  return outDir;
}

/** Stage 2: production dependencies only, from the lock file; the npm cache serves it without a network. */
async function installProductionDependencies(projectDir: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await Promise.all(
    ['package.json', 'package-lock.json'].map((file) => copyFile(join(projectDir, file), join(dir, file))),
  );
  await run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
    ],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  return join(dir, 'node_modules');
}
