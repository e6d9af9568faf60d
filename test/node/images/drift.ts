// Where the offline image and the Dockerfile's target stage differ: configuration (entrypoint, user, env,
// workdir, exposed ports, labels), the Node.js version of the base, and the files (each COPY of the runtime
// stage, the entrypoint script, production dependencies only, the build stage's sources). An empty list
// means they agree.
import { isDeepStrictEqual } from 'node:util';
import { posix } from 'node:path';
import { copiedPaths, findStage, parseDockerfile, resolveStage, type Dockerfile } from './dockerfile.ts';
import type { ArchivedImage } from './oci-archive-reader.ts';
import { BUILD_ASSETS, BUILD_SOURCES, RUNTIME } from './product-images.ts';

export interface DriftInputs {
  readonly dockerfile: string;
  readonly target: string;
  readonly image: ArchivedImage;
  readonly packageJson: { readonly dependencies?: Readonly<Record<string, string>> };
  /** package-lock.json's `packages`. */
  readonly lockPackages: Readonly<Record<string, { readonly dev?: boolean }>>;
  /** tsconfig.build.json's `include`. */
  readonly compiledSources: readonly string[];
}

export function imageDrift(inputs: DriftInputs): string[] {
  const dockerfile = parseDockerfile(inputs.dockerfile);
  const stage = resolveStage(dockerfile, inputs.target);
  const config = inputs.image.config.config;
  const env = Object.fromEntries((config.Env ?? []).map((entry) => splitOnce(entry, '=')));
  const files = inputs.image.files;
  const problems: string[] = [];
  const expectSame = (what: string, dockerValue: unknown, imageValue: unknown): void => {
    if (!isDeepStrictEqual(dockerValue, imageValue)) {
      problems.push(
        `${what}: Dockerfile ${JSON.stringify(dockerValue)}, offline image ${JSON.stringify(imageValue)}`,
      );
    }
  };

  expectSame('ENTRYPOINT', stage.entrypoint, config.Entrypoint);
  expectSame('CMD', stage.cmd, config.Cmd);
  expectSame('USER', stage.user, config.User);
  expectSame('WORKDIR', stage.workdir, config.WorkingDir);
  for (const [name, value] of Object.entries(stage.env)) expectSame(`ENV ${name}`, value, env[name]);
  expectSame('EXPOSE', [...stage.expose].sort(), Object.keys(config.ExposedPorts ?? {}).sort());
  expectSame('LABEL', stage.labels, config.Labels ?? {});

  const nodeVersion = /^node:(\d+\.\d+\.\d+)/.exec(stage.baseImage)?.[1];
  expectSame(`Node.js version (FROM ${stage.baseImage})`, nodeVersion, env.NODE_VERSION);
  const pathDirs = (env.PATH ?? '').split(':');
  if (!pathDirs.some((dir) => files.get(posix.join(dir, 'node'))?.type === 'file')) {
    problems.push(`no node binary on the image's PATH (${env.PATH ?? 'unset'})`);
  }

  const workdir = stage.workdir ?? '/';
  const scriptArg =
    stage.entrypoint?.[0] === 'node'
      ? stage.entrypoint.slice(1).find((arg) => !arg.startsWith('-'))
      : undefined;
  if (scriptArg) {
    const script = posix.resolve(workdir, scriptArg);
    for (const file of [script, `${script}.map`]) {
      if (files.get(file)?.type !== 'file')
        problems.push(`the entrypoint's ${file} is missing in the offline image`);
    }
  }

  const copied = stage.copies.flatMap((copy) =>
    copiedPaths(copy).map((path) => ({ path, from: copy.from ?? 'context' })),
  );
  for (const { path, from } of copied) {
    if (!files.has(path)) problems.push(`COPY to ${path}: missing in the offline image`);
    const declared = (RUNTIME.content as Record<string, string>)[posix.relative(workdir, path)];
    expectSame(`source stage of ${path}`, from, declared);
  }
  const inWorkdir = [...files.keys()].filter((path) => posix.dirname(path) === workdir).sort();
  expectSame(`files in ${workdir}`, copied.map(({ path }) => path).sort(), inWorkdir);

  problems.push(...dependencyDrift(inputs, dockerfile, workdir));
  problems.push(...buildStageDrift(inputs, dockerfile, stage.copies, workdir));
  return problems;
}

/** The runtime-deps stage installs production dependencies only; so must the offline build. */
function dependencyDrift(inputs: DriftInputs, dockerfile: Dockerfile, workdir: string): string[] {
  const problems: string[] = [];
  const depsStage = findStage(dockerfile, 'runtime-deps');
  if (!depsStage?.runs.some((run) => /\bnpm ci\b/.test(run) && run.includes('--omit=dev'))) {
    problems.push('the runtime-deps stage no longer runs npm ci --omit=dev');
  }
  for (const name of Object.keys(inputs.packageJson.dependencies ?? {})) {
    if (!inputs.image.files.has(posix.join(workdir, 'node_modules', name, 'package.json'))) {
      problems.push(`dependency ${name} is missing from the offline image`);
    }
  }
  for (const [path, entry] of Object.entries(inputs.lockPackages)) {
    if (entry.dev && inputs.image.files.has(posix.join(workdir, path))) {
      problems.push(`development dependency ${path} is in the offline image`);
    }
  }
  return problems;
}

/**
 * The build stage must copy every source folder that tsc compiles, which the offline build compiles too,
 * and copy the asset folders into dist/ as the offline build does.
 */
function buildStageDrift(
  inputs: DriftInputs,
  dockerfile: Dockerfile,
  runtimeCopies: readonly { from?: string }[],
  workdir: string,
): string[] {
  const problems: string[] = [];
  const buildStageName = runtimeCopies.find((copy) => copy.from && copy.from !== 'runtime-deps')?.from;
  const buildStage = buildStageName === undefined ? undefined : findStage(dockerfile, buildStageName);
  if (!buildStage) return ['no build stage that the runtime copies dist/ from'];
  const contextSources = buildStage.copies
    .filter((copy) => copy.from === undefined)
    .flatMap((copy) => copy.sources);
  for (const source of [
    ...inputs.compiledSources,
    'tsconfig.json',
    'tsconfig.build.json',
    'package-lock.json',
  ]) {
    if (!contextSources.includes(source))
      problems.push(`the ${buildStageName} stage does not COPY ${source}`);
  }
  for (const folder of BUILD_ASSETS) {
    const copy = `cp -R ${folder} dist/${posix.dirname(folder)}/`;
    if (!buildStage.runs.some((run) => run.includes(copy)))
      problems.push(`the ${buildStageName} stage does not run ${copy}`);
    const inDist = `${posix.join(workdir, 'dist', folder)}/`;
    if (![...inputs.image.files.keys()].some((path) => path.startsWith(inDist)))
      problems.push(`dist/${folder} is missing in the offline image`);
  }
  if (!isDeepStrictEqual([...BUILD_SOURCES].sort(), [...inputs.compiledSources].sort())) {
    problems.push(
      `the offline build compiles ${BUILD_SOURCES.join(', ')}, tsconfig.build.json ${inputs.compiledSources.join(', ')}`,
    );
  }
  return problems;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}
