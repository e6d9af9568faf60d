// The base of the product images, standing in for `node:24-bookworm-slim`: the Node.js binary of the
// project's `node` package, the host's shared libraries it links against (Debian bookworm's glibc and
// libstdc++, as in the official image), and the few files of /etc a process expects, with user 1000 "node".
import { execFile } from 'node:child_process';
import { open, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { FileSpec } from './layer.ts';

const run = promisify(execFile);

/** Where the official image puts node, and the PATH it sets. */
export const NODE_PATH_IN_IMAGE = '/usr/local/bin/node';
export const IMAGE_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface NodeRuntime {
  readonly binary: string;
  /** e.g. `24.21.0`. */
  readonly version: string;
  /** Absolute host paths of the shared libraries and the program interpreter. */
  readonly libraries: readonly string[];
}

/** Finds the Node.js binary of the `node` package installed in `projectDir`, its version and libraries. */
export async function findNodeRuntime(projectDir: string): Promise<NodeRuntime> {
  const packageDir = dirname(createRequire(join(projectDir, 'package.json')).resolve('node/package.json'));
  const candidates = [
    join(packageDir, 'bin', 'node'),
    join(packageDir, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node'),
  ];
  for (const candidate of candidates) {
    if (!(await isElf(candidate))) continue;
    const binary = await realpath(candidate);
    const { stdout: version } = await run(binary, ['--version']);
    const { stdout: ldd } = await run('ldd', [binary]);
    return { binary, version: version.trim().replace(/^v/, ''), libraries: parseLdd(ldd) };
  }
  throw new Error(
    `no Node.js binary in the node package at ${packageDir} (looked at ${candidates.join(', ')})`,
  );
}

/** The absolute paths `ldd` resolved (the vDSO has none and is left out); a missing library is an error. */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n').map((text) => text.trim())) {
    if (line === '') continue;
    if (line.includes('=> not found')) throw new Error(`ldd: ${line}`);
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (match?.[1]) paths.push(match[1]);
  }
  return paths;
}

/**
 * The base layer's files. Libraries keep the path ldd found them at, moved under /usr as Debian's merged
 * /usr has it (/lib and /lib64 are symlinks into /usr), so the dynamic loader finds them where it looks.
 */
export function baseLayerFiles(runtime: NodeRuntime): FileSpec[] {
  const libraries = runtime.libraries.map((hostPath): FileSpec => ({
    path: mergedUsrPath(hostPath),
    fromPath: hostPath,
    mode: 0o755,
  }));
  return [
    { path: 'lib', type: 'symlink', target: 'usr/lib' },
    { path: 'lib64', type: 'symlink', target: 'usr/lib64' },
    ...dedupeByPath(libraries),
    { path: NODE_PATH_IN_IMAGE, fromPath: runtime.binary, mode: 0o755 },
    {
      path: 'etc/passwd',
      content: 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000::/home/node:/usr/sbin/nologin\n',
    },
    { path: 'etc/group', content: 'root:x:0:\nnode:x:1000:\n' },
    { path: 'etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n' },
    { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'home/node', type: 'dir', uid: 1000, gid: 1000 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
  ];
}

export function mergedUsrPath(hostPath: string): string {
  return hostPath.replace(/^\/(lib|lib64|bin|sbin)\//, '/usr/$1/');
}

function dedupeByPath(files: FileSpec[]): FileSpec[] {
  return [...new Map(files.map((file) => [file.path, file])).values()];
}

async function isElf(path: string): Promise<boolean> {
  try {
    const file = await open(path);
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
      return bytesRead === 4 && buffer.toString('latin1') === '\x7fELF';
    } finally {
      await file.close();
    }
  } catch {
    return false;
  }
}
