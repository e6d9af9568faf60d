/**
 * Starts and removes the test node from the host side: Debian packages, the network namespace, the cgroup
 * root, mount points and saved sysctls, the infrastructure images, the supervisor inside the namespaces
 * (supervisor.ts), and a loopback relay to the API server with a kubeconfig for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  cgroupPids,
  createCgroupRoot,
  createMountPoints,
  createNetworkNamespace,
  deleteNetworkNamespace,
  ensureNodePackages,
  netnsPath,
  netnsPids,
  removeCgroupRoot,
  removeMountPoints,
  restoreSysctls,
  saveSysctls,
} from './host.ts';
import { buildInfraImages } from './infra-images.ts';
import { openRelay, type Relay } from './relay.ts';
import type { ReadyFile } from './supervisor.ts';
import { NODE } from './topology.ts';

/** What survives a run that died: the files that say what to undo. */
const STATE_DIR = `/run/${NODE.name}`;
const state = {
  sysctls: path.join(STATE_DIR, 'sysctls.json'),
  mountPoints: path.join(STATE_DIR, 'mount-points.json'),
  workDir: path.join(STATE_DIR, 'work-dir'),
};

export interface NodeInfo {
  /** A cluster-admin kubeconfig whose server is a relay on 127.0.0.1. */
  kubeconfigPath: string;
  /** The relay socket into the node's network namespace (see relay.ts). */
  relaySocket: string;
  workDir: string;
  logDir: string;
  /** Milliseconds per start-up step. */
  steps: Record<string, number>;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

async function waitUntil(what: string, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Removes everything a node run leaves: its processes (the containers by their cgroup, the rest by the
 * network namespace), the namespace, the cgroup root, the mount points it created, the sysctls it saved,
 * and its work folder unless `keepWorkDir`. Safe to call when nothing is there.
 */
export async function removeNode(options: { keepWorkDir?: boolean } = {}): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = [...cgroupPids(), ...netnsPids()];
    if (pids.length === 0) break;
    killAll(pids);
    await new Promise((r) => setTimeout(r, 100));
  }
  const left = [...cgroupPids(), ...netnsPids()];
  if (left.length > 0) throw new Error(`node: processes ${left.join(' ')} survived SIGKILL`);
  deleteNetworkNamespace();
  const cgroupsLeft = removeCgroupRoot();
  if (cgroupsLeft.length > 0) console.error(`node: cgroups left: ${cgroupsLeft.join('; ')}`);
  restoreSysctls(state.sysctls);
  if (existsSync(state.mountPoints)) {
    await removeMountPoints(JSON.parse(readFileSync(state.mountPoints, 'utf8')) as string[]);
  }
  if (existsSync(state.workDir) && !options.keepWorkDir) {
    await rm(readFileSync(state.workDir, 'utf8'), { recursive: true, force: true });
  }
  await rm(STATE_DIR, { recursive: true, force: true });
}

export class TestNode {
  readonly #workDir: string;
  #supervisor: ChildProcess | undefined;
  #apiRelay: Relay | undefined;
  #info: NodeInfo | undefined;

  constructor(workDir: string) {
    this.#workDir = workDir;
  }

  get info(): NodeInfo {
    if (!this.#info) throw new Error('node not started');
    return this.#info;
  }

  async start(): Promise<NodeInfo> {
    if (process.getuid?.() !== 0) throw new Error('the test node needs root (network and mount namespaces)');
    const steps: Record<string, number> = {};
    let t0 = Date.now();
    const step = (name: string) => {
      steps[name] = Date.now() - t0;
      t0 = Date.now();
    };
    ensureNodePackages();
    step('packages');
    await removeNode();
    await mkdir(STATE_DIR, { recursive: true });
    await writeFile(state.workDir, this.#workDir);
    const logDir = path.join(this.#workDir, 'logs');
    await mkdir(logDir, { recursive: true });
    await saveSysctls(state.sysctls);
    await writeFile(state.mountPoints, JSON.stringify(await createMountPoints()));
    createNetworkNamespace();
    await createCgroupRoot();
    step('namespaces');

    const imageDir = path.join(this.#workDir, 'images');
    const { images } = await buildInfraImages(imageDir);
    await writeFile(path.join(imageDir, 'list.txt'), images.map((i) => i.path).join('\n'));
    step('infrastructure images');

    const log = openSync(path.join(logDir, 'supervisor.log'), 'a');
    try {
      this.#supervisor = spawn(
        'nsenter',
        [
          `--net=${netnsPath()}`,
          '--',
          'unshare',
          '--mount',
          '--propagation',
          'private',
          '--',
          process.execPath,
          path.join(import.meta.dirname, 'supervisor.ts'),
          this.#workDir,
        ],
        {
          stdio: ['pipe', log, log],
          env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
        },
      );
    } finally {
      closeSync(log);
    }
    const supervisor = this.#supervisor;
    let exited = false;
    supervisor.once('exit', () => (exited = true));
    const readyFile = path.join(this.#workDir, 'ready.json');
    await waitUntil('the node ready', 240_000, () => {
      if (exited) throw new Error(`node supervisor exited; see ${path.join(logDir, 'supervisor.log')}`);
      return existsSync(readyFile);
    });
    const ready = JSON.parse(await readFile(readyFile, 'utf8')) as ReadyFile;
    const relaySocket = path.join(this.#workDir, 'relay.sock');
    this.#apiRelay = await openRelay(relaySocket, NODE.ip, ready.apiServerPort);
    const kubeconfigPath = path.join(this.#workDir, 'kubeconfig');
    const adminKubeconfig = await readFile(ready.adminKubeconfig, 'utf8');
    await writeFile(
      kubeconfigPath,
      adminKubeconfig.replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        `server: https://127.0.0.1:${this.#apiRelay.port}`,
      ),
      { mode: 0o600 },
    );
    step('node');
    this.#info = {
      kubeconfigPath,
      relaySocket,
      workDir: this.#workDir,
      logDir,
      steps: { ...steps, ...ready.steps },
    };
    return this.#info;
  }

  /** Stops the supervisor (SIGTERM, then SIGKILL) and removes everything the node left. */
  async stop(options: { keepWorkDir?: boolean } = {}): Promise<void> {
    await this.#apiRelay?.close();
    const supervisor = this.#supervisor;
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
      const exited = new Promise((resolve) => supervisor.once('exit', resolve));
      supervisor.kill('SIGTERM');
      const timer = setTimeout(() => supervisor.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await removeNode(options);
  }
}
