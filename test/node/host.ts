/**
 * What the node changes on the host, each with its undo: the network namespace and its veth pair, the
 * cgroup root of the pods, the mount points of the private paths, and the sysctls the kubelet sets.
 * Every undo is idempotent, so a run that died half-way is cleaned up by the next one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KUBELET_SYSCTLS, NODE, NODE_PACKAGES, PRIVATE_PATHS } from './topology.ts';

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Installs the Debian packages the node needs when one of them is missing. */
export function ensureNodePackages(): void {
  const missing = NODE_PACKAGES.filter((p) => !existsSync(p.file)).map((p) => p.name);
  if (missing.length === 0) return;
  console.log(`node: installing Debian packages ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing],
  ]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (status ${result.status})`);
  }
}

export function netnsPath(): string {
  return `/run/netns/${NODE.name}`;
}

export function createNetworkNamespace(): void {
  const inNs = (...args: string[]) => run('ip', ['-n', NODE.name, ...args]);
  run('ip', ['netns', 'add', NODE.name]);
  inNs('link', 'set', 'lo', 'up');
  inNs('link', 'add', NODE.interface, 'type', 'veth', 'peer', 'name', NODE.peerInterface);
  inNs('addr', 'add', `${NODE.ip}/${NODE.prefixLength}`, 'dev', NODE.interface);
  inNs('link', 'set', NODE.interface, 'up');
  inNs('link', 'set', NODE.peerInterface, 'up');
  // Locally sent packets to a ClusterIP need a route before kube-proxy's OUTPUT rules rewrite them.
  inNs('route', 'add', NODE.serviceCidr, 'dev', NODE.interface, 'src', NODE.ip);
  // Replies between two pods on the bridge must pass conntrack, or a Service's DNAT is not undone.
  run('ip', ['netns', 'exec', NODE.name, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1']);
  run('ip', ['netns', 'exec', NODE.name, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
}

/** Process ids inside the node's network namespace (empty when it does not exist). */
export function netnsPids(): number[] {
  const result = spawnSync('ip', ['netns', 'pids', NODE.name], { encoding: 'utf8' });
  if (result.status !== 0) return [];
  return result.stdout.split(/\s+/).filter(Boolean).map(Number);
}

export function deleteNetworkNamespace(): void {
  if (existsSync(netnsPath())) run('ip', ['netns', 'delete', NODE.name]);
}

function cgroupHierarchies(): string[] {
  return readdirSync('/sys/fs/cgroup')
    .map((name) => path.join('/sys/fs/cgroup', name))
    .filter((dir) => {
      try {
        return (
          statSync(dir).isDirectory() &&
          !statSync(dir).isSymbolicLink() &&
          existsSync(path.join(dir, 'cgroup.procs'))
        );
      } catch {
        return false;
      }
    });
}

/** The pods' cgroup root in every cgroup v1 hierarchy (the kubelet's `cgroupRoot`). */
export async function createCgroupRoot(): Promise<void> {
  for (const hierarchy of cgroupHierarchies()) {
    const root = path.join(hierarchy, NODE.name);
    await mkdir(root, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes: give it its parent's.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(path.join(hierarchy, file))) {
        await writeFile(path.join(root, file), await readFile(path.join(hierarchy, file), 'utf8'));
      }
    }
  }
}

/** Process ids in the pods' cgroup root: the containers, which live outside the node's netns. */
export function cgroupPids(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    try {
      for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        pids.add(Number(pid));
      }
    } catch {
      // removed meanwhile
    }
    for (const entry of entries) {
      const child = path.join(dir, entry);
      if (statSync(child, { throwIfNoEntry: false })?.isDirectory()) walk(child);
    }
  };
  for (const hierarchy of cgroupHierarchies()) walk(path.join(hierarchy, NODE.name));
  return [...pids];
}

/** Process ids of one pod, by its cgroup `pod<uid>` (dashes as the cgroupfs driver writes them). */
export function podCgroupPids(podUid: string): number[] {
  const pids = new Set<number>();
  const wanted = `pod${podUid}`;
  const walk = (dir: string, inPod: boolean) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    if (inPod) {
      try {
        for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          pids.add(Number(pid));
        }
      } catch {
        // removed meanwhile
      }
    }
    for (const entry of entries) {
      const child = path.join(dir, entry);
      if (statSync(child, { throwIfNoEntry: false })?.isDirectory()) walk(child, inPod || entry === wanted);
    }
  };
  const pidsHierarchy =
    cgroupHierarchies().find((h) => path.basename(h) === 'pids') ?? cgroupHierarchies()[0];
  if (pidsHierarchy) walk(path.join(pidsHierarchy, NODE.name), false);
  return [...pids];
}

/** Removes the cgroup root, deepest first; a cgroup that still holds a process stays (and is reported). */
export function removeCgroupRoot(): string[] {
  const left: string[] = [];
  const remove = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const child = path.join(dir, entry);
      if (statSync(child, { throwIfNoEntry: false })?.isDirectory()) remove(child);
    }
    try {
      rmdirSync(dir);
    } catch (err) {
      left.push(`${dir}: ${(err as Error).message}`);
    }
  };
  for (const hierarchy of cgroupHierarchies()) {
    const root = path.join(hierarchy, NODE.name);
    if (existsSync(root)) remove(root);
  }
  return left;
}

const sysctlFile = (name: string) => path.join('/proc/sys', name);

/** Saves the sysctls the kubelet sets, unless a saved copy (from a run that died) is already there. */
export async function saveSysctls(file: string): Promise<void> {
  if (existsSync(file)) return;
  const saved: Record<string, string> = {};
  for (const name of KUBELET_SYSCTLS) saved[name] = (await readFile(sysctlFile(name), 'utf8')).trim();
  await writeFile(file, JSON.stringify(saved, null, 2));
}

export function restoreSysctls(file: string): void {
  if (!existsSync(file)) return;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  for (const [name, value] of Object.entries(saved)) {
    if (readFileSync(sysctlFile(name), 'utf8').trim() !== value) writeFileSync(sysctlFile(name), value);
  }
}

/** Creates the mount points that do not exist yet; returns those it created (to remove afterwards). */
export async function createMountPoints(): Promise<string[]> {
  const created: string[] = [];
  for (const dir of PRIVATE_PATHS) {
    if (existsSync(dir)) continue;
    let top: string = dir;
    while (!existsSync(path.dirname(top))) top = path.dirname(top);
    await mkdir(dir, { recursive: true });
    created.push(top);
  }
  return created;
}

/** Removes mount points this run created, when they are (still) empty on the host. */
export async function removeMountPoints(created: readonly string[]): Promise<void> {
  for (const top of created) {
    const removeEmpty = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir).catch(() => [])) await removeEmpty(path.join(dir, entry));
      await rmdir(dir).catch(() => undefined);
    };
    await removeEmpty(top);
  }
}
