// The operator and allocator images built offline (test/node/images/build.ts): they agree with the
// Dockerfile, share their layers, run from their unpacked layers as user 1000, and containerd imports them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueName } from '../../harness/context.ts';
import { freePort, waitForPort } from '../../harness/ports.ts';
import { imageDrift, type DriftInputs } from '../../node/images/drift.ts';
import { readOciArchive, type ArchivedImage } from '../../node/images/oci-archive-reader.ts';
import {
  buildProductImages,
  PRODUCT_IMAGE_NAMES,
  type ProductImageName,
  type ProductImages,
} from '../../node/images/product-images.ts';
import { ensureNodePackages } from '../../node/host.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const projectFile = (name: string) => readFileSync(path.join(root, name), 'utf8');
const isRoot = process.getuid?.() === 0;
const onPath = (binary: string) =>
  (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
// containerd comes from Debian's packages, installed by the test node's set-up when missing; this file
// may run before that set-up on a fresh machine, so it installs them itself.
if (isRoot) ensureNodePackages();
const hasContainerd = isRoot && onPath('containerd') && onPath('ctr');

describe('the offline operator and allocator images', () => {
  let workDir: string;
  let built: ProductImages;
  const archives = {} as Record<ProductImageName, ArchivedImage>;
  const driftInputs = (target: ProductImageName, dockerfile = projectFile('Dockerfile')): DriftInputs => ({
    dockerfile,
    target,
    image: archives[target],
    packageJson: JSON.parse(projectFile('package.json')),
    lockPackages: JSON.parse(projectFile('package-lock.json')).packages,
    compiledSources: JSON.parse(projectFile('tsconfig.build.json')).include,
  });

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'c2c-offline-images-'));
    built = await buildProductImages({ projectDir: root, outDir: path.join(workDir, 'out'), tag: 'test' });
    for (const name of PRODUCT_IMAGE_NAMES) archives[name] = await readOciArchive(built.images[name].path);
  });
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it.each(PRODUCT_IMAGE_NAMES)('%s agrees with its Dockerfile stage', (name) => {
    expect(archives[name].name).toBe(`docker.io/click-to-call-in/${name}:test`);
    expect(imageDrift(driftInputs(name))).toEqual([]);
  });

  it('fails when the Dockerfile changes what the offline build does not', () => {
    const dockerfile = projectFile('Dockerfile');
    const changed = (from: string | RegExp, to: string) => {
      const text = dockerfile.replace(from, to);
      expect(text, `the Dockerfile no longer has ${from}`).not.toBe(dockerfile);
      return imageDrift(driftInputs('operator', text)).join('\n');
    };
    expect(changed('USER 1000:1000', 'USER 1001:1001')).toMatch(/^USER: Dockerfile "1001:1001"/m);
    expect(changed(/(AS runtime\n(?:.*\n)*?)WORKDIR \/app/, '$1WORKDIR /srv')).toMatch(
      /^WORKDIR: Dockerfile "\/srv"/m,
    );
    expect(changed('NODE_ENV=production', 'NODE_ENV=staging')).toMatch(
      /^ENV NODE_ENV: Dockerfile "staging"/m,
    );
    expect(changed('EXPOSE 8080 9443', 'EXPOSE 8080 9443 9090')).toMatch(/^EXPOSE:/m);
    expect(changed('dist/operator/src/main.js', 'dist/operator/src/run.js')).toMatch(/^ENTRYPOINT:/m);
    expect(changed('Apache-2.0', 'MIT')).toMatch(/^LABEL:/m);
    expect(changed(/^ARG NODE_IMAGE=node:[\d.]+/m, 'ARG NODE_IMAGE=node:24.0.0')).toMatch(
      /^Node.js version/m,
    );
    expect(changed('COPY package.json ./', 'COPY package.json README.md ./')).toMatch(
      /^COPY to \/app\/README.md: missing/m,
    );
    expect(changed('COPY lib ./lib', '')).toMatch(/^the build stage does not COPY lib/m);
    expect(changed('--omit=dev', '')).toMatch(/^the runtime-deps stage no longer runs npm ci --omit=dev/m);
    expect(changed(' && cp -R allocator/ui dist/allocator/', '')).toMatch(
      /^the build stage does not run cp -R allocator\/ui dist\/allocator\//m,
    );
  });

  it('shares every layer between the two images; only the configurations differ', () => {
    const digests = (name: ProductImageName) => built.images[name].layers.map((layer) => layer.digest);
    expect(digests('allocator')).toEqual(digests('operator'));
    expect(built.images.allocator.configDigest).not.toBe(built.images.operator.configDigest);
  });

  it('holds Node.js 24, root-owned application files and user 1000', () => {
    const { files } = archives.allocator;
    expect(built.nodeVersion).toMatch(/^24\./);
    expect(files.get('/usr/local/bin/node')).toMatchObject({ type: 'file', mode: 0o755 });
    for (const [file, info] of files)
      if (file.startsWith('/app')) expect(info, file).toMatchObject({ uid: 0, gid: 0 });
    expect(files.get('/home/node')).toMatchObject({ type: 'dir', uid: 1000, gid: 1000 });
    expect(files.get('/tmp')?.mode).toBe(0o1777);
    for (const name of ['typescript', 'vitest', 'eslint', 'node']) {
      expect(files.has(`/app/node_modules/${name}`), name).toBe(false);
    }
    console.log(
      `offline images: ${(built.images.operator.size / 1e6).toFixed(1)} MB each (layers shared), ` +
        `Node.js ${built.nodeVersion}, steps ${JSON.stringify(built.timings)}`,
    );
  });

  describe.skipIf(!isRoot)('unpacked by GNU tar and run through unshare, as the image config says', () => {
    let rootfs: string;
    beforeAll(async () => {
      rootfs = path.join(workDir, 'rootfs');
      await mkdir(rootfs);
      for (const [index, layer] of archives.allocator.layers.entries()) {
        const file = path.join(workDir, `layer-${index}.tar.gz`);
        await writeFile(file, layer);
        await run('tar', ['-xzf', file, '-C', rootfs, '--same-owner', '--numeric-owner']);
      }
      // What a container runtime provides: /proc, and here the example groups.
      await mkdir(path.join(rootfs, 'proc'));
      await cp(path.join(root, 'examples'), path.join(rootfs, 'groups'), { recursive: true });
    });

    /** The image's process: its Env, WorkingDir and User, in its root file system (and the host network). */
    const startInImage = (name: ProductImageName, argv: readonly string[]): ChildProcess => {
      const { config } = archives[name].config;
      const [uid = '0', gid = uid] = (config.User ?? '0').split(':');
      const env = Object.fromEntries((config.Env ?? []).map((entry) => entry.split(/=(.*)/s, 2)));
      return spawn(
        'unshare',
        [
          '--mount',
          '--mount-proc',
          `--root=${rootfs}`,
          `--wd=${config.WorkingDir ?? '/'}`,
          '--setuid',
          uid,
          '--setgid',
          gid,
          '--',
          ...argv,
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    };
    const finished = (child: ChildProcess) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        let output = '';
        child.stdout?.on('data', (chunk) => (output += chunk));
        child.stderr?.on('data', (chunk) => (output += chunk));
        child.on('close', (code) => resolve({ code, output }));
      });

    it("runs the entrypoint's node as user 1000 in /app: Node.js 24", async () => {
      const entrypoint = archives.allocator.config.config.Entrypoint ?? [];
      const probe =
        'console.log(process.version, process.getuid(), process.cwd(), require("os").userInfo().username)';
      const result = await finished(startInImage('allocator', [entrypoint[0] ?? 'node', '-e', probe]));
      expect(result).toEqual({ code: 0, output: `v${built.nodeVersion} 1000 /app node\n` });
    });

    it('loads the operator entrypoint and its production dependencies (--help)', async () => {
      const entrypoint = archives.operator.config.config.Entrypoint ?? [];
      const result = await finished(startInImage('operator', [...entrypoint, '--help']));
      expect(result.output).toContain('click-to-call-in operator');
      expect(result.code).toBe(0);
    });

    it('starts the allocator entrypoint on NATS with --groups-dir and serves a call-in request', async () => {
      const port = await freePort();
      const entrypoint = archives.allocator.config.config.Entrypoint ?? [];
      const allocator = startInImage('allocator', [
        ...entrypoint,
        '--groups-dir',
        '/groups',
        '--port',
        String(port),
        '--nats-url',
        harness().natsUrl,
        '--nats-bucket',
        uniqueName('image'),
      ]);
      const exited = finished(allocator);
      try {
        await waitForPort(port, 30_000);
        const base = `http://127.0.0.1:${port}`;
        await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 20_000 }).toBe(200);
        const created = await fetch(`${base}/v1/groups/auto_insurance/requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ callerNumber: '+14155550123', userData: { customer: '42' } }),
        });
        expect(created.status).toBeLessThan(300);
        expect(await created.json()).toMatchObject({ number: expect.stringMatching(/^\+1800/) });
        // The records page's files, copied beside the compiled code, are served from the image too.
        for (const [file, type] of [
          ['', 'text/html; charset=utf-8'],
          ['app.js', 'text/javascript; charset=utf-8'],
          ['style.css', 'text/css; charset=utf-8'],
        ]) {
          const res = await fetch(`${base}/ui/${file}`);
          expect([file, res.status, res.headers.get('content-type')]).toEqual([file, 200, type]);
        }
      } finally {
        allocator.kill('SIGTERM');
      }
      const { code, output } = await exited;
      expect(code, output).toBe(0);
    });
  });

  describe.skipIf(!hasContainerd)('imported by containerd', () => {
    it('ctr images import names both images, and containerd stores their layers once', async () => {
      const dir = path.join(workDir, 'containerd');
      const socket = path.join(dir, 'containerd.sock');
      await mkdir(dir);
      await writeFile(path.join(dir, 'config.toml'), privateContainerdConfig(dir, socket));
      // A private mount namespace: containerd's unpack mounts never reach the host.
      const containerd = spawn(
        'unshare',
        ['--mount', '--propagation', 'private', 'containerd', '--config', path.join(dir, 'config.toml')],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      const stopped = new Promise((resolve) => containerd.on('close', resolve));
      const ctr = (...args: string[]) => run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args]);
      try {
        await expect
          .poll(
            async () =>
              await ctr('version').then(
                () => true,
                () => false,
              ),
            { timeout: 20_000 },
          )
          .toBe(true);
        for (const name of PRODUCT_IMAGE_NAMES) await ctr('images', 'import', built.images[name].path);
        const { stdout: images } = await ctr('images', 'ls', '--quiet');
        expect(images.split('\n').filter(Boolean).sort()).toEqual([
          'docker.io/click-to-call-in/allocator:test',
          'docker.io/click-to-call-in/operator:test',
        ]);
        const { stdout: snapshots } = await ctr('snapshots', 'ls');
        expect(snapshots.trim().split('\n').slice(1)).toHaveLength(built.images.operator.layers.length);
      } finally {
        containerd.kill('SIGTERM');
        await stopped;
      }
    });
  });
});

function privateContainerdConfig(dir: string, socket: string): string {
  const disabled = [
    'io.containerd.grpc.v1.cri',
    'io.containerd.internal.v1.opt',
    'io.containerd.snapshotter.v1.aufs',
    'io.containerd.snapshotter.v1.btrfs',
    'io.containerd.snapshotter.v1.devmapper',
    'io.containerd.snapshotter.v1.zfs',
    'io.containerd.tracing.processor.v1.otlp',
  ];
  return [
    'version = 2',
    `root = ${JSON.stringify(path.join(dir, 'root'))}`,
    `state = ${JSON.stringify(path.join(dir, 'state'))}`,
    `disabled_plugins = ${JSON.stringify(disabled)}`,
    '[grpc]',
    `  address = ${JSON.stringify(socket)}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
    '',
  ].join('\n');
}
