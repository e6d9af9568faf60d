import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from '../../harness/managed-process.ts';
import { freePort } from '../../harness/ports.ts';
import { eventually, harness, runTool } from '../../harness/context.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CRD_FILE = path.join(root, 'crds/clicktocall.dev_clicktocallingroups.yaml');

/** Applies the ClickToCallInGroup CRD and waits until it is served (default: on the harness control plane). */
export async function installCrd(kubeconfigPath?: string): Promise<void> {
  const env = kubeconfigPath ? { KUBECONFIG: kubeconfigPath } : undefined;
  const kubectl = (args: string[]) => runTool('kubectl', args, { env });
  const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', CRD_FILE]);
  if (applied.code !== 0) throw new Error(`CRD apply failed: ${applied.stderr}`);
  const established = await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/clicktocallingroups.clicktocall.dev',
  ]);
  if (established.code !== 0) throw new Error(`CRD not established: ${established.stderr}`);
}

/** A real operator process (operator/src/main.ts) against the harness control plane. */
export class OperatorProcess {
  readonly name: string;
  readonly healthPort: number;
  readonly webhookPort: number;
  readonly #process: ManagedProcess;

  private constructor(name: string, healthPort: number, webhookPort: number, proc: ManagedProcess) {
    this.name = name;
    this.healthPort = healthPort;
    this.webhookPort = webhookPort;
    this.#process = proc;
  }

  /** `kubeconfigPath` defaults to the harness control plane's. */
  static async start(
    name: string,
    args: string[],
    options: { kubeconfigPath?: string } = {},
  ): Promise<OperatorProcess> {
    const [healthPort, webhookPort] = await Promise.all([freePort(), freePort()]);
    const proc = new ManagedProcess(
      name,
      process.execPath,
      [
        path.join(root, 'operator/src/main.ts'),
        `--kubeconfig=${options.kubeconfigPath ?? harness().kubeconfigPath}`,
        `--health-port=${healthPort}`,
        `--metrics-port=${healthPort}`,
        `--bind-address=127.0.0.1`,
        `--webhook-port=${webhookPort}`,
        `--identity=${name}`,
        ...args,
      ],
      path.join(harness().workDir, 'logs'),
    );
    return new OperatorProcess(name, healthPort, webhookPort, proc);
  }

  get exited(): boolean {
    return this.#process.hasExited;
  }

  async get(route: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.healthPort}${route}`);
    return { status: res.status, body: await res.text() };
  }

  async waitReady(): Promise<void> {
    await eventually(
      `${this.name} /readyz`,
      async () => {
        if (this.exited) throw new Error(`${this.name} exited:\n${await this.logTail()}`);
        return (await this.get('/readyz')).status === 200;
      },
      60_000,
      200,
    );
  }

  /** The value of a metric (summed over label sets that contain `labels`). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const { body } = await this.get('/metrics');
    let sum = 0;
    for (const line of body.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const set = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  async logTail(lines = 40): Promise<string> {
    const text = await readFile(this.#process.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code. */
  async stop(): Promise<number | null> {
    await this.#process.stop(15_000);
    return this.#process.exited;
  }

  /** SIGKILL: no cleanup, no Lease release. */
  async kill(): Promise<void> {
    this.#process.killNow();
    await this.#process.exited;
  }
}
