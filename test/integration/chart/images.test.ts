import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';

// No Docker engine runs here, so the image recipe is checked as text for the basics; the kind
// end-to-end run (test/e2e/kind.sh) builds and runs the images.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim());
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
  imports: Record<string, { compiled: string; default: string }>;
};

interface Stage {
  name: string;
  base: string;
  lines: string[];
}

/** Instructions per stage, with line continuations joined. */
function stages(text: string): Stage[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ base: from[1] ?? '', name: from[2] ?? `stage${out.length}`, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const all = stages(dockerfile);
const byName = (name: string) => {
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
/** A stage and the stages it is built FROM, nearest first. */
const lineage = (name: string): Stage[] => {
  const s = byName(name);
  return all.some((x) => x.name === s.base) ? [s, ...lineage(s.base)] : [s];
};
const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';

describe('the container images', () => {
  it('build FROM one Node.js 24 LTS base pinned to an exact release, the one the project runs on', () => {
    expect(nodeImage).toMatch(/^node:24\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[a-f0-9]{64})?$/);
    expect(nodeImage.split(':')[1]?.split('-')[0]).toBe(packageJson.devDependencies.node);
    const externalBases = all.map((s) => s.base).filter((b) => !all.some((s) => s.name === b));
    expect(new Set(externalBases)).toEqual(new Set(['${NODE_IMAGE}']));
  });

  it.each(['operator', 'allocator'])('runs the %s as a numeric non-root user', (target) => {
    const users = lineage(target).flatMap((s) => s.lines.filter((l) => /^USER\s/i.test(l)));
    expect(users.length).toBeGreaterThan(0);
    const user = users[0]?.split(/\s+/)[1] ?? '';
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
  });

  it.each(['operator', 'allocator'])('puts no dev dependencies and no sources in the %s image', (target) => {
    const copies = lineage(target).flatMap((s) => s.lines.filter((l) => /^COPY\s/i.test(l)));
    // node_modules comes only from a stage that installed production dependencies.
    const modules = copies.filter((c) => c.includes('node_modules'));
    expect(modules).toHaveLength(1);
    const fromStage = /--from=(\S+)/.exec(modules[0] ?? '')?.[1] ?? '';
    const installs = byName(fromStage).lines.filter((l) => /npm (ci|install)/.test(l));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toMatch(/--omit=dev/);
    // Compiled JavaScript only: nothing copied from the build context but package.json.
    const fromContext = copies.filter((c) => !c.includes('--from='));
    expect(fromContext).toEqual(['COPY package.json ./']);
    expect(copies.filter((c) => c.includes('--from=build'))).toEqual(['COPY --from=build /src/dist ./dist']);
  });

  it.each(['operator', 'allocator'])('starts the compiled %s entry point with plain node', (target) => {
    const entry = byName(target).lines.find((l) => l.startsWith('ENTRYPOINT'));
    // The "compiled" condition resolves the package's own #names (package.json "imports") to dist/.
    expect(entry).toBe(`ENTRYPOINT ["node", "--conditions=compiled", "dist/${target}/src/main.js"]`);
    expect(existsSync(path.join(root, target, 'src', 'main.ts'))).toBe(true);
  });

  it('sends only the sources the build needs to the Docker engine', () => {
    expect(dockerignore[dockerignore.findIndex((l) => l && !l.startsWith('#'))]).toBe('*');
    const allowed = dockerignore.filter((l) => l.startsWith('!')).sort();
    expect(allowed).toEqual(
      [
        '!allocator/',
        '!api/',
        '!lib/',
        '!operator/',
        '!package-lock.json',
        '!package.json',
        '!tsconfig.build.json',
        '!tsconfig.json',
      ].sort(),
    );
    expect(dockerignore).toContain('**/node_modules');
  });

  it('are tagged by npm run images the way the chart names them by default', () => {
    const chart = load(readFileSync(path.join(root, 'charts/click-to-call-in/Chart.yaml'), 'utf8')) as {
      appVersion: string;
    };
    const values = load(
      readFileSync(path.join(root, 'charts/click-to-call-in/values.yaml'), 'utf8'),
    ) as Record<'operator' | 'allocator', { image: { repository: string; tag: string } }>;
    expect(chart.appVersion).toBe(packageJson.version);
    for (const target of ['operator', 'allocator'] as const) {
      expect(values[target].image.repository).toBe(`click-to-call-in/${target}`);
      expect(values[target].image.tag).toBe(''); // the appVersion
      expect(packageJson.scripts.images).toContain(
        `-t \${C2C_IMAGE_PREFIX:-click-to-call-in}/${target}:\${C2C_IMAGE_TAG:-$npm_package_version}`,
      );
    }
  });

  it('is built by npm run images', () => {
    expect(packageJson.scripts.images).toMatch(
      /docker build --target operator .*&& docker build --target allocator /,
    );
  });
});

/** Whether .dockerignore keeps a path (relative to the context) out, for the patterns it uses. */
function ignored(relative: string): boolean {
  return dockerignore
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!') && l !== '*')
    .some((pattern) => {
      if (pattern.startsWith('**/')) {
        const tail = pattern.slice(3);
        const base = path.basename(relative);
        return tail.startsWith('*') ? base.endsWith(tail.slice(1)) : relative.split('/').includes(tail);
      }
      const dir = pattern.replace(/\/$/, '');
      return relative === dir || relative.startsWith(`${dir}/`);
    });
}

describe('the build stage, run without Docker', () => {
  // The build context as .dockerignore lets it through, in a scratch folder that borrows this clone's
  // node_modules (the build stage's `npm ci` gives it the same packages).
  let context = '';
  afterAll(async () => {
    if (context) await rm(context, { recursive: true, force: true });
  });
  const node = existsSync(path.join(root, 'node_modules', '.bin', 'node'))
    ? path.join(root, 'node_modules', '.bin', 'node')
    : process.execPath;
  const run = promisify(execFile);

  it('compiles entry points that start on Node.js 24 with the files the image holds', async () => {
    context = await mkdtemp(path.join(tmpdir(), 'c2c-image-'));
    for (const entry of dockerignore
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''))) {
      await cp(path.join(root, entry), path.join(context, entry), {
        recursive: true,
        filter: (source) => !ignored(path.relative(root, source)),
      });
    }
    await symlink(path.join(root, 'node_modules'), path.join(context, 'node_modules'));
    // The build stage's last RUN, exactly as written in the Dockerfile.
    const build =
      byName('build')
        .lines.filter((l) => l.startsWith('RUN '))
        .at(-1) ?? '';
    expect(build).toContain('tsconfig.build.json');
    await run('sh', ['-c', build.slice('RUN '.length)], {
      cwd: context,
      env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
    });
    // The runtime image has production dependencies only: the compiled code may import nothing else.
    const compiled = await run('grep', [
      '-rhoE',
      `(from|import\\() *'[^'.][^']*'`,
      path.join(context, 'dist'),
    ]);
    const specifiers = compiled.stdout
      .split('\n')
      .map((l) => /'([^']+)'/.exec(l)?.[1] ?? '')
      .filter((spec) => spec && !spec.startsWith('node:'));
    const imported = new Set(
      specifiers
        .filter((spec) => !spec.startsWith('#'))
        .map((spec) =>
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? ''),
        ),
    );
    const production = Object.keys(packageJson.dependencies);
    expect([...imported].filter((name) => !production.includes(name))).toEqual([]);
    // The package's own names resolve, under the "compiled" condition, to files the build wrote.
    const unresolved = [...new Set(specifiers.filter((spec) => spec.startsWith('#')))].filter((spec) => {
      const exact = packageJson.imports[spec];
      const pattern = Object.entries(packageJson.imports).find(
        ([key]) => key.endsWith('/*') && spec.startsWith(key.slice(0, -1)),
      );
      const target = exact
        ? exact.compiled
        : pattern?.[1].compiled.replace('*', spec.slice(pattern[0].length - 1));
      return target === undefined || !existsSync(path.join(context, target));
    });
    expect(unresolved).toEqual([]);
    for (const target of ['operator', 'allocator']) {
      const entrypoint = JSON.parse(
        (byName(target).lines.find((l) => l.startsWith('ENTRYPOINT')) ?? 'ENTRYPOINT []').slice(
          'ENTRYPOINT '.length,
        ),
      ) as string[];
      expect(entrypoint[0]).toBe('node');
      const help = await run(node, [...entrypoint.slice(1), '--help'], {
        cwd: context,
        env: { ...process.env, NODE_ENV: 'production' },
      });
      expect(help.stdout).toMatch(/--kubeconfig|--nats-url/);
    }
  });
});
