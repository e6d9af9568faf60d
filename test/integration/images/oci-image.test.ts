import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLdd, mergedUsrPath } from '../../node/images/node-runtime.ts';
import { readOciArchive, parseTar } from '../../node/images/oci-archive-reader.ts';
import { buildLayer, normalizeImageRef, writeOciArchive } from '../../node/images/oci-image.ts';

const run = promisify(execFile);

describe('the OCI image writer', () => {
  let dir: string;
  const longName = `${'d'.repeat(70)}/${'e'.repeat(70)}/ünïcode-file.txt`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c2c-oci-test-'));
    const tree = join(dir, 'tree');
    await mkdir(join(tree, 'bin'), { recursive: true });
    await mkdir(join(tree, 'd'.repeat(70), 'e'.repeat(70)), { recursive: true });
    await writeFile(join(tree, 'bin', 'tool'), '#!/bin/sh\necho hi\n');
    await chmod(join(tree, 'bin', 'tool'), 0o755);
    await writeFile(join(tree, longName), 'x'.repeat(1000));
    await symlink('bin/tool', join(tree, 'tool'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const image = (ref: string) => ({
    ref,
    layers: [
      { fromDir: join(dir, 'tree'), prefix: '/opt/tree', uid: 1000, gid: 1000 },
      {
        files: [
          { path: '/etc/passwd', content: 'root:x:0:0::/root:/sbin/nologin\n' },
          { path: '/tmp', type: 'dir' as const, mode: 0o1777 },
          { path: '/lib64', type: 'symlink' as const, target: 'usr/lib64' },
        ],
      },
    ],
    config: {
      entrypoint: ['/opt/tree/bin/tool'],
      cmd: ['--flag'],
      user: '1000:1000',
      env: { PATH: '/usr/bin:/bin', B: 'two words' },
      workingDir: '/opt/tree',
      exposedPorts: [8080, '53/udp'],
      labels: { 'org.opencontainers.image.title': 'test' },
    },
  });

  it('writes an OCI layout that GNU tar reads, named for containerd and for docker load', async () => {
    const out = join(dir, 'image.tar');
    const written = await writeOciArchive(image('example/tool:1.2'), out);
    expect(written.name).toBe('docker.io/example/tool:1.2');

    const { stdout: listing } = await run('tar', ['-tf', out]);
    expect(listing.split('\n')).toEqual(
      expect.arrayContaining(['oci-layout', 'index.json', 'manifest.json']),
    );
    const layout = join(dir, 'layout');
    await mkdir(layout);
    await run('tar', ['-xf', out, '-C', layout]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests[0].annotations).toEqual({
      'io.containerd.image.name': 'docker.io/example/tool:1.2',
      'org.opencontainers.image.ref.name': '1.2',
    });
    expect(index.manifests[0].platform.os).toBe('linux');
    const [docker] = JSON.parse(await readFile(join(layout, 'manifest.json'), 'utf8'));
    expect(docker.RepoTags).toEqual(['docker.io/example/tool:1.2']);

    // Every blob is stored under its own digest.
    for (const blob of [docker.Config, ...docker.Layers] as string[]) {
      const { stdout } = await run('sha256sum', [join(layout, blob)]);
      expect(`blobs/sha256/${stdout.slice(0, 64)}`).toBe(blob);
    }

    // GNU tar sees the long and non-ASCII names (pax), modes, owners and the symlink.
    const { stdout: first } = await run('tar', ['-tzvf', join(layout, docker.Layers[0]), '--numeric-owner']);
    expect(first).toContain(`opt/tree/${longName}`);
    expect(first).toMatch(/-rwxr-xr-x 1000\/1000 +\d+ 1970-01-01 00:00 opt\/tree\/bin\/tool/);
    expect(first).toMatch(/lrwxrwxrwx 1000\/1000 .* opt\/tree\/tool -> bin\/tool/);
    expect(first).toMatch(/drwxr-xr-x 0\/0 .* opt\/\n/);
    const { stdout: second } = await run('tar', ['-tzvf', join(layout, docker.Layers[1]), '--numeric-owner']);
    expect(second).toMatch(/drwxrwxrwt 0\/0 .* tmp\//);
  });

  it('writes a configuration the reader gives back, with the layers applied in order', async () => {
    const out = join(dir, 'read.tar');
    await writeOciArchive(image('registry.example:5000/team/tool'), out);
    const read = await readOciArchive(out);
    expect(read.name).toBe('registry.example:5000/team/tool:latest');
    expect(read.config.config).toEqual({
      User: '1000:1000',
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Env: ['PATH=/usr/bin:/bin', 'B=two words'],
      Entrypoint: ['/opt/tree/bin/tool'],
      Cmd: ['--flag'],
      WorkingDir: '/opt/tree',
      Labels: { 'org.opencontainers.image.title': 'test' },
    });
    expect(read.config.rootfs.diff_ids).toHaveLength(2);
    expect(read.files.get(`/opt/tree/${longName}`)).toMatchObject({ type: 'file', size: 1000, uid: 1000 });
    expect(read.files.get('/lib64')).toMatchObject({ type: 'symlink', linkTarget: 'usr/lib64' });
    expect(read.files.get('/tmp')?.mode).toBe(0o1777);
  });

  it('gives the same digests for the same inputs, whenever they are built', async () => {
    const spec = { fromDir: join(dir, 'tree'), prefix: 'opt' };
    const [a, b] = await Promise.all([buildLayer(spec), buildLayer(spec)]);
    expect(a.digest).toBe(b.digest);
    expect(a.diffId).toBe(b.diffId);
    const paths = parseTar(gunzipSync(a.blob)).map((item) => item.path);
    expect(paths).toEqual([...paths].sort());
  });

  it('refuses a path given twice in one layer and paths that leave the root', async () => {
    await expect(buildLayer({ files: [{ path: 'a' }, { path: '/a' }] })).rejects.toThrow(/twice/);
    await expect(buildLayer({ files: [{ path: '../etc/passwd' }] })).rejects.toThrow(/bad image path/);
  });

  it('normalizes image names as Docker and the kubelet do', () => {
    expect(normalizeImageRef('nats:2.11')).toBe('docker.io/library/nats:2.11');
    expect(normalizeImageRef('click-to-call-in/operator')).toBe('docker.io/click-to-call-in/operator:latest');
    expect(normalizeImageRef('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause:3.10');
    expect(normalizeImageRef('localhost/c2c/allocator:dev')).toBe('localhost/c2c/allocator:dev');
    expect(normalizeImageRef('localhost:5000/a:b')).toBe('localhost:5000/a:b');
    expect(() => normalizeImageRef('Upper/Case:1')).toThrow(/repository/);
    expect(() => normalizeImageRef('a/b@sha256:00')).toThrow(/digest/);
  });
});

describe('the Node.js base', () => {
  it('takes the libraries ldd resolves, at their merged-/usr paths', () => {
    const ldd = [
      '\tlinux-vdso.so.1 (0x00007ffd4a7f5000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f3b2a000000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3b29e1f000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f3b2a3d1000)',
    ].join('\n');
    expect(parseLdd(ldd)).toEqual([
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
    expect(mergedUsrPath('/lib64/ld-linux-x86-64.so.2')).toBe('/usr/lib64/ld-linux-x86-64.so.2');
    expect(mergedUsrPath('/usr/lib/x86_64-linux-gnu/libm.so.6')).toBe('/usr/lib/x86_64-linux-gnu/libm.so.6');
    expect(() => parseLdd('\tlibfoo.so.1 => not found')).toThrow(/not found/);
  });
});
