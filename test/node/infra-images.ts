/**
 * The node's infrastructure images, built offline: the pod sandbox (`pause.c` from the module cache of
 * the pinned k8s.io/kubernetes, linked statically), CoreDNS and nats-server (static Go builds from the
 * tool cache).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { resolveTool } from '../harness/tools.ts';
import { writeOciArchive, type WrittenImage } from './images/oci-image.ts';

const toolsDir = path.resolve(import.meta.dirname, '..', 'tools');

/** The version of `module` that test/tools/<family>/go.mod requires. */
export function pinnedVersion(family: string, module: string): string {
  const goMod = readFileSync(path.join(toolsDir, family, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${module} is not required in test/tools/${family}/go.mod`);
  return match[1];
}

const PAUSE_VERSION = '3.10.2';

export const INFRA_IMAGES = {
  pause: `c2c.test/pause:${PAUSE_VERSION}`,
  coredns: `c2c.test/coredns:${pinnedVersion('coredns', 'github.com/coredns/coredns').slice(1)}`,
  nats: `c2c.test/nats:${pinnedVersion('nats', 'github.com/nats-io/nats-server/v2').slice(1)}`,
} as const;

function isStatic(binary: string): boolean {
  const result = execFileSync('file', ['-L', binary], { encoding: 'utf8' });
  return result.includes('statically linked') || result.includes('static-pie linked');
}

async function buildPause(outDir: string): Promise<WrittenImage> {
  const kubernetes = pinnedVersion('k8s', 'k8s.io/kubernetes');
  const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const source = path.join(modCache, `k8s.io/kubernetes@${kubernetes}`, 'build/pause/linux/pause.c');
  if (!existsSync(source)) throw new Error(`${source} not found: run npm run tools first`);
  const binary = path.join(outDir, 'pause');
  execFileSync('gcc', [
    '-Os',
    '-Wall',
    '-Werror',
    '-static',
    `-DVERSION=v${PAUSE_VERSION}`,
    '-o',
    binary,
    source,
  ]);
  return writeOciArchive(
    {
      ref: INFRA_IMAGES.pause,
      layers: [{ files: [{ path: '/pause', fromPath: binary, mode: 0o755 }], comment: 'COPY pause /pause' }],
      config: { entrypoint: ['/pause'], user: '65535:65535' },
    },
    path.join(outDir, 'pause.tar'),
  );
}

async function buildGoImage(
  ref: string,
  tool: 'coredns' | 'nats-server',
  config: Parameters<typeof writeOciArchive>[0]['config'],
  outDir: string,
): Promise<WrittenImage> {
  const binary = resolveTool(tool);
  if (!isStatic(binary))
    throw new Error(`${binary} is not statically linked (build-tools.sh builds it with CGO_ENABLED=0)`);
  return writeOciArchive(
    {
      ref,
      layers: [
        {
          files: [
            { path: `/${tool}`, fromPath: binary, mode: 0o755 },
            { path: '/etc/passwd', content: 'nonroot:x:65532:65532::/:/sbin/nologin\n' },
            { path: '/etc/group', content: 'nonroot:x:65532:\n' },
            { path: '/tmp', type: 'dir', mode: 0o1777 },
          ],
          comment: `COPY ${tool} /${tool}`,
        },
      ],
      config,
    },
    path.join(outDir, `${tool}.tar`),
  );
}

/** Builds the three images into `outDir`; returns them with the seconds it took. */
export async function buildInfraImages(outDir: string): Promise<{ images: WrittenImage[]; seconds: number }> {
  const started = Date.now();
  await mkdir(outDir, { recursive: true });
  const images = await Promise.all([
    buildPause(outDir),
    buildGoImage(
      INFRA_IMAGES.coredns,
      'coredns',
      { entrypoint: ['/coredns'], user: '65532:65532', exposedPorts: ['1053/udp', 1053] },
      outDir,
    ),
    buildGoImage(
      INFRA_IMAGES.nats,
      'nats-server',
      { entrypoint: ['/nats-server'], user: '65532:65532', exposedPorts: [4222, 6222, 8222] },
      outDir,
    ),
  ]);
  return { images, seconds: (Date.now() - started) / 1000 };
}
