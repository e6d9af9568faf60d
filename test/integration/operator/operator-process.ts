import { readFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { KubeClient, loadKubeConfig, validatingWebhookConfigurationRef } from '#lib/kube';
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

/**
 * For one test file: before all its tests, a client of the harness control plane and the CRD
 * installed; after them, every operator started with `start` stopped and the client closed.
 */
export function useOperators(): {
  readonly kube: KubeClient;
  /** Starts an operator and waits until it is ready. */
  start(name: string, args: string[]): Promise<OperatorProcess>;
} {
  const operators: OperatorProcess[] = [];
  let kube: KubeClient | undefined;
  beforeAll(async () => {
    kube = new KubeClient(loadKubeConfig(harness().kubeconfigPath));
    await installCrd();
  });
  afterAll(async () => {
    await Promise.all(operators.map((op) => op.stop()));
    kube?.close();
  });
  return {
    get kube() {
      if (!kube) throw new Error('useOperators: the client is made in beforeAll');
      return kube;
    },
    async start(name, args) {
      const op = await OperatorProcess.start(name, args);
      operators.push(op);
      await op.waitReady();
      return op;
    },
  };
}

/** Flags for an operator in `namespace` that elects its leader there with short timings, webhook off. */
export function leaderElectingArgs(namespace: string): string[] {
  return [
    `--namespace=${namespace}`,
    `--lease-namespace=${namespace}`,
    '--leader-elect',
    '--lease-duration-seconds=3',
    '--renew-deadline-seconds=2',
    '--retry-period-seconds=0.5',
    '--no-webhook',
  ];
}

export const webhookConfigurationsRef = validatingWebhookConfigurationRef();

/**
 * A ValidatingWebhookConfiguration `name` that sends group creates and updates to the operator's
 * webhook on `webhookPort`, by URL and without a caBundle (the self-managed mode injects it); with
 * `namespace`, only for groups in that namespace.
 */
export function webhookConfiguration(name: string, webhookPort: number, namespace?: string) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: 'groups.clicktocall.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        clientConfig: { url: `https://127.0.0.1:${webhookPort}/validate` },
        ...(namespace
          ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }
          : {}),
        rules: [
          {
            apiGroups: ['clicktocall.dev'],
            apiVersions: ['v1alpha1'],
            resources: ['clicktocallingroups'],
            operations: ['CREATE', 'UPDATE'],
            ...(namespace ? { scope: 'Namespaced' } : {}),
          },
        ],
      },
    ],
  };
}

/**
 * POSTs `body` to a webhook's /validate on 127.0.0.1:`port`; `tls` says how to trust the server
 * (`ca`, or `rejectUnauthorized: false`) and which `agent` to use.
 */
export function postToWebhook(
  port: number,
  body: string | Buffer,
  tls: Pick<https.RequestOptions, 'ca' | 'rejectUnauthorized' | 'agent' | 'cert' | 'key'>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        ...tls,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
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

/**
 * An operator serving its webhook (self-managed certificate) for one namespace, registered by URL in
 * a ValidatingWebhookConfiguration of that name, once the operator has injected the caBundle.
 */
export async function startOperatorWithWebhook(
  name: string,
  namespace: string,
  configName: string,
  kube: KubeClient,
  extraArgs: string[] = [],
): Promise<OperatorProcess> {
  const op = await OperatorProcess.start(name, [
    `--namespace=${namespace}`,
    `--lease-namespace=${namespace}`,
    '--lease-duration-seconds=3',
    '--renew-deadline-seconds=2',
    '--retry-period-seconds=0.5',
    '--webhook-self-managed',
    '--webhook-ip-addresses=127.0.0.1',
    `--webhook-configuration-name=${configName}`,
    ...extraArgs,
  ]);
  await op.waitReady();
  // Registered by URL without a caBundle: the operator's self-managed mode injects it.
  await kube.create(webhookConfigurationsRef, webhookConfiguration(configName, op.webhookPort, namespace));
  await eventually('the caBundle to be injected', async () => {
    const config = await kube.get({ ...webhookConfigurationsRef, name: configName });
    return (config.webhooks as { clientConfig: { caBundle?: string } }[])[0]?.clientConfig.caBundle;
  });
  return op;
}
