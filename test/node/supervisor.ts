/**
 * The node's processes, run inside its network namespace and a private mount namespace (node.ts starts
 * this file there): the control plane, containerd, the kubelet, kube-proxy and CoreDNS. Writes
 * `ready.json` into the work folder once the node is Ready, serves the relay socket, and stops
 * everything on SIGTERM.
 *
 *   node test/node/supervisor.ts <work folder>
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ControlPlane } from '../harness/control-plane.ts';
import { assertRunning, ManagedProcess } from '../harness/managed-process.ts';
import { resolveTool } from '../harness/tools.ts';
import { cgroupPids } from './host.ts';
import { INFRA_IMAGES } from './infra-images.ts';
import {
  cniBridgeConfig,
  CONTAINERD_SOCKET,
  containerdConfig,
  kubeletConfig,
  kubeProxyConfig,
} from './node-config.ts';
import { serveRelaySocket } from './relay.ts';
import { NODE, PRIVATE_PATHS } from './topology.ts';

const execFileAsync = promisify(execFile);

export interface ReadyFile {
  /** kube-apiserver's port on the node IP. */
  apiServerPort: number;
  adminKubeconfig: string;
  caCertPem: string;
  /** Milliseconds each start-up step took. */
  steps: Record<string, number>;
}

export function privateFolder(workDir: string, target: string): string {
  return path.join(workDir, 'fs', target.replaceAll('/', '_'));
}

function workFolder(): string {
  const folder = process.argv[2];
  if (!folder) throw new Error('usage: supervisor.ts <work folder>');
  return folder;
}

const workDir = workFolder();
const logDir = path.join(workDir, 'logs');
const confDir = path.join(workDir, 'conf');
const processes: ManagedProcess[] = [];
const steps: Record<string, number> = {};
let stepStarted = Date.now();
const step = (name: string) => {
  steps[name] = Date.now() - stepStarted;
  stepStarted = Date.now();
  console.log(`supervisor: ${name} in ${steps[name]} ms`);
};

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    for (const p of processes) await assertRunning(p);
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function bindPrivatePaths(): void {
  for (const target of PRIVATE_PATHS) {
    const source = privateFolder(workDir, target);
    execFileSync('mkdir', ['-p', source]);
    execFileSync('mount', ['--bind', source, target]);
  }
}

async function main(): Promise<void> {
  await mkdir(logDir, { recursive: true });
  await mkdir(confDir, { recursive: true });
  // unshare(1) made every mount private already; make sure nothing propagates back to the host.
  execFileSync('mount', ['--make-rprivate', '/']);
  bindPrivatePaths();
  step('private mounts');

  const controlPlane = new ControlPlane(path.join(workDir, 'control-plane'), logDir, {
    node: { address: NODE.ip, serviceClusterIpRange: NODE.serviceCidr, serviceIp: NODE.apiServiceIp },
  });
  stopHooks.push(() => controlPlane.stop());
  const cp = await controlPlane.start();
  const apiServerPort = Number(new URL(cp.server).port);
  step('control plane');

  const file = (name: string) => path.join(confDir, name);
  const kubeletServing = controlPlane.issue({
    commonName: NODE.name,
    dnsNames: [NODE.name],
    ipAddresses: [NODE.ip],
    usage: 'server',
  });
  const kubeletClient = controlPlane.issue({
    commonName: `system:node:${NODE.name}`,
    organizations: ['system:nodes'],
    usage: 'client',
  });
  const nodeServer = `https://${NODE.ip}:${apiServerPort}`;
  await Promise.all([
    writeFile(file('ca.crt'), cp.caCertPem),
    writeFile(file('kubelet.crt'), kubeletServing.certPem),
    writeFile(file('kubelet.key'), kubeletServing.keyPem, { mode: 0o600 }),
    writeFile(file('kubelet.kubeconfig'), controlPlane.kubeconfigFor(kubeletClient, 'kubelet', nodeServer), {
      mode: 0o600,
    }),
    writeFile(file('resolv.conf'), ''),
    writeFile(
      file('containerd.toml'),
      containerdConfig({ sandboxImage: INFRA_IMAGES.pause, optDir: path.join(workDir, 'opt') }),
    ),
    writeFile(path.join(privateFolder(workDir, '/etc/cni/net.d'), '10-c2c-node.conflist'), cniBridgeConfig()),
    writeFile(
      file('kubelet.json'),
      kubeletConfig({
        ca: file('ca.crt'),
        cert: file('kubelet.crt'),
        key: file('kubelet.key'),
        resolvConf: file('resolv.conf'),
      }),
    ),
    writeFile(file('kube-proxy.json'), kubeProxyConfig(cp.kubeconfigPath)),
  ]);

  const containerd = new ManagedProcess(
    'containerd',
    '/usr/bin/containerd',
    ['--config', file('containerd.toml')],
    logDir,
  );
  processes.push(containerd);
  const ctr = (...args: string[]) =>
    execFileAsync('ctr', ['--address', CONTAINERD_SOCKET, '--namespace', 'k8s.io', ...args]);
  await waitFor(
    'containerd',
    30_000,
    async () => existsSync(CONTAINERD_SOCKET) && (await ctr('version'), true),
  );
  step('containerd');

  const imageDir = path.join(workDir, 'images');
  const tars = (await readFile(path.join(imageDir, 'list.txt'), 'utf8')).split('\n').filter(Boolean);
  for (const tar of tars) await ctr('images', 'import', tar);
  step('image import');

  const kubelet = new ManagedProcess(
    'kubelet',
    resolveTool('kubelet'),
    [
      `--config=${file('kubelet.json')}`,
      `--kubeconfig=${file('kubelet.kubeconfig')}`,
      `--node-ip=${NODE.ip}`,
      `--hostname-override=${NODE.name}`,
      '--v=1',
    ],
    logDir,
  );
  const kubeProxy = new ManagedProcess(
    'kube-proxy',
    resolveTool('kube-proxy'),
    [`--config=${file('kube-proxy.json')}`, '--v=1'],
    logDir,
  );
  processes.push(kubelet, kubeProxy);
  const kubectl = (...args: string[]) =>
    execFileAsync(resolveTool('kubectl'), [`--kubeconfig=${cp.kubeconfigPath}`, ...args], {
      maxBuffer: 16 << 20,
    });
  await waitFor('the node Ready', 120_000, async () => {
    const { stdout } = await kubectl(
      'get',
      'node',
      NODE.name,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    );
    return stdout === 'True';
  });
  step('node Ready');

  const manifest = (await readFile(path.join(import.meta.dirname, 'manifests', 'coredns.yaml'), 'utf8'))
    .replace('COREDNS_IMAGE', INFRA_IMAGES.coredns)
    .replace('DNS_SERVICE_IP', NODE.dnsServiceIp);
  await writeFile(file('coredns.yaml'), manifest);
  await kubectl('apply', '-f', file('coredns.yaml'));
  await kubectl('-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s');
  step('CoreDNS Ready');

  const relay = await serveRelaySocket(path.join(workDir, 'relay.sock'));
  stopHooks.push(() => new Promise<void>((resolve) => relay.close(() => resolve())));
  const ready: ReadyFile = {
    apiServerPort,
    adminKubeconfig: cp.kubeconfigPath,
    caCertPem: cp.caCertPem,
    steps,
  };
  await writeFile(path.join(workDir, 'ready.json.tmp'), JSON.stringify(ready));
  execFileSync('mv', [path.join(workDir, 'ready.json.tmp'), path.join(workDir, 'ready.json')]);
}

const stopHooks: (() => Promise<void>)[] = [];
let stopping = false;

/** Stops the node: kubelet and kube-proxy, then the containers, containerd, and the control plane. */
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const [containerd, ...nodeAgents] = [...processes];
    for (const p of nodeAgents.reverse()) await p.stop(5_000);
    for (let i = 0; i < 20 && cgroupPids().length > 0; i++) {
      for (const pid of cgroupPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await containerd?.stop(5_000);
    for (const hook of stopHooks.reverse()) await hook().catch(() => undefined);
  }
  process.exit(code);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
main().catch(async (err: unknown) => {
  console.error(`supervisor: ${(err as Error).stack ?? String(err)}`);
  await stop(1);
});
// The host side holds our stdin open; when it goes away without stopping us, stop.
process.stdin.on('end', () => void stop(0));
process.stdin.resume();
