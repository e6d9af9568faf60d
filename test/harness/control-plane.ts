import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import {
  createCertificateAuthority,
  createSigningKeyPair,
  issueCertificate,
  type KeyPairPem,
} from '#lib/tls/index';
import { assertRunning, ManagedProcess } from './managed-process.ts';
import { freePort } from './ports.ts';
import { resolveTool } from './tools.ts';

export interface ControlPlaneInfo {
  /** https://127.0.0.1:<port> */
  server: string;
  /** A kubeconfig with cluster-admin rights (client certificate in group system:masters). */
  kubeconfigPath: string;
  /** The CA that signed the API server's serving certificate and the client certificates. */
  caCertPem: string;
  /**
   * The CA of the client certificate kube-apiserver presents to every admission webhook (its
   * AdmissionConfiguration names it for all webhooks), for webhooks that verify their callers.
   */
  webhookClientCaPem: string;
  /** etcd's client URL, http://127.0.0.1:<port> (its v3 HTTP/JSON gateway answers there too). */
  etcdUrl: string;
  pids: number[];
}

interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

function httpsGet(url: string, tls: ClientTls): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function pollUntil(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  watch: ManagedProcess[],
) {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    for (const p of watch) await assertRunning(p);
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms ${lastError}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function kubeconfigYaml(server: string, ca: string, user: KeyPairPem, userName: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: harness',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(ca)}`,
    'users:',
    `- name: ${userName}`,
    '  user:',
    `    client-certificate-data: ${b64(user.certPem)}`,
    `    client-key-data: ${b64(user.keyPem)}`,
    'contexts:',
    '- name: harness',
    '  context:',
    '    cluster: harness',
    `    user: ${userName}`,
    'current-context: harness',
    '',
  ].join('\n');
}

/**
 * A kubeconfig whose one user, named `*`, is what kube-apiserver presents to every webhook (the
 * name matches any webhook host).
 */
function webhookClientKubeconfig(client: KeyPairPem): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'users:',
    "- name: '*'",
    '  user:',
    `    client-certificate-data: ${b64(client.certPem)}`,
    `    client-key-data: ${b64(client.keyPem)}`,
    '',
  ].join('\n');
}

function admissionConfiguration(kubeconfigFile: string): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: AdmissionConfiguration',
    'plugins:',
    '- name: ValidatingAdmissionWebhook',
    '  configuration:',
    '    apiVersion: apiserver.config.k8s.io/v1',
    '    kind: WebhookAdmissionConfiguration',
    `    kubeConfigFile: ${kubeconfigFile}`,
    '- name: MutatingAdmissionWebhook',
    '  configuration:',
    '    apiVersion: apiserver.config.k8s.io/v1',
    '    kind: WebhookAdmissionConfiguration',
    `    kubeConfigFile: ${kubeconfigFile}`,
    '',
  ].join('\n');
}

export interface ControlPlaneOptions {
  /** Start kube-controller-manager (garbage collector, namespaces, aggregation); default true. */
  controllerManager?: boolean;
  /** Extra kube-apiserver flags, after (and so overriding) the defaults, e.g. `--watch-cache=false`. */
  apiServerArgs?: string[];
  /**
   * Serve a node (the test node in test/node): kube-apiserver listens on this address as well as
   * it is advertised there (the `kubernetes` Service's endpoint), the ServiceAccount admission plugin
   * is on, and kube-controller-manager runs the controllers that Deployments, StatefulSets and
   * Services need, plus kube-scheduler.
   */
  node?: { address: string; serviceClusterIpRange: string; serviceIp: string };
}

/** Controllers a workload needs, for a control plane with a node (see ControlPlaneOptions.node). */
const NODE_CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'clusterrole-aggregation-controller',
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'disruption-controller',
  'horizontal-pod-autoscaler-controller',
  'pod-garbage-collector-controller',
  'node-lifecycle-controller',
  'taint-eviction-controller',
  'service-cidr-controller',
  'ttl-after-finished-controller',
  'job-controller',
];

/**
 * etcd + kube-apiserver + kube-controller-manager on loopback, configured the way controller-runtime's
 * envtest configures them: generated serving certificates, a service-account signing key, RBAC, and an
 * admin identity by client certificate.
 */
export class ControlPlane {
  readonly #dir: string;
  readonly #logDir: string;
  readonly #options: ControlPlaneOptions;
  #processes: ManagedProcess[] = [];
  #info: ControlPlaneInfo | undefined;
  #apiserver: { bin: string; args: string[]; tls: ClientTls } | undefined;
  #ca: KeyPairPem | undefined;
  #webhookClientCaPem = '';

  constructor(dir: string, logDir: string, options: ControlPlaneOptions = {}) {
    this.#dir = dir;
    this.#logDir = logDir;
    this.#options = options;
  }

  get info(): ControlPlaneInfo {
    if (!this.#info) throw new Error('control plane not started');
    return this.#info;
  }

  async start(): Promise<ControlPlaneInfo> {
    const node = this.#options.node;
    const etcdBin = resolveTool('etcd');
    const apiserverBin = resolveTool('kube-apiserver');
    const certDir = path.join(this.#dir, 'pki');
    await mkdir(certDir, { recursive: true });
    await mkdir(this.#logDir, { recursive: true });

    const ca = createCertificateAuthority('c2c-harness-ca');
    const serving = issueCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
      ipAddresses: ['127.0.0.1', ...(node ? [node.address, node.serviceIp] : [])],
      usage: 'server',
    });
    const admin = issueCertificate(ca, {
      commonName: 'harness-admin',
      organizations: ['system:masters'],
      usage: 'client',
    });
    const kubeletClient = issueCertificate(ca, {
      commonName: 'kube-apiserver-kubelet-client',
      organizations: ['system:masters'],
      usage: 'client',
    });
    this.#ca = ca;
    const serviceAccountKey = createSigningKeyPair();
    // The identity kube-apiserver shows admission webhooks, from a CA of its own.
    const webhookClientCa = createCertificateAuthority('c2c-harness-webhook-client-ca');
    const webhookClient = issueCertificate(webhookClientCa, {
      commonName: 'kube-apiserver-webhook-client',
      usage: 'client',
    });
    this.#webhookClientCaPem = webhookClientCa.certPem;
    const file = (name: string) => path.join(certDir, name);
    await Promise.all([
      writeFile(file('webhook-client.kubeconfig'), webhookClientKubeconfig(webhookClient)),
      writeFile(file('admission.yaml'), admissionConfiguration(file('webhook-client.kubeconfig'))),
      writeFile(file('apiserver-kubelet-client.crt'), kubeletClient.certPem),
      writeFile(file('apiserver-kubelet-client.key'), kubeletClient.keyPem, { mode: 0o600 }),
      writeFile(file('ca.crt'), ca.certPem),
      writeFile(file('apiserver.crt'), serving.certPem),
      writeFile(file('apiserver.key'), serving.keyPem, { mode: 0o600 }),
      writeFile(file('sa.pub'), serviceAccountKey.publicKeyPem),
      writeFile(file('sa.key'), serviceAccountKey.privateKeyPem, { mode: 0o600 }),
    ]);

    const [etcdClientPort, etcdPeerPort, apiserverPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcd = new ManagedProcess(
      'etcd',
      etcdBin,
      [
        `--data-dir=${path.join(this.#dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
        '--unsafe-no-fsync=true',
        '--quota-backend-bytes=8589934592',
        '--log-level=warn',
      ],
      this.#logDir,
    );
    this.#processes.push(etcd);
    await pollUntil('etcd health', 30_000, async () => (await fetch(`${etcdUrl}/health`)).ok, [etcd]);

    const server = `https://127.0.0.1:${apiserverPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${file('apiserver.crt')}`,
      `--tls-private-key-file=${file('apiserver.key')}`,
      `--client-ca-file=${file('ca.crt')}`,
      `--service-account-key-file=${file('sa.pub')}`,
      `--service-account-signing-key-file=${file('sa.key')}`,
      `--service-account-issuer=${server}/`,
      `--secure-port=${apiserverPort}`,
      ...(node
        ? [
            '--bind-address=0.0.0.0',
            `--advertise-address=${node.address}`,
            `--service-cluster-ip-range=${node.serviceClusterIpRange}`,
            '--authorization-mode=Node,RBAC',
            '--enable-admission-plugins=NodeRestriction',
            '--api-audiences=https://kubernetes.default.svc.cluster.local',
            `--kubelet-certificate-authority=${file('ca.crt')}`,
            `--kubelet-client-certificate=${file('apiserver-kubelet-client.crt')}`,
            `--kubelet-client-key=${file('apiserver-kubelet-client.key')}`,
            '--kubelet-preferred-address-types=InternalIP',
          ]
        : [
            '--bind-address=127.0.0.1',
            '--advertise-address=127.0.0.1',
            '--service-cluster-ip-range=10.0.0.0/24',
            '--authorization-mode=RBAC',
            '--disable-admission-plugins=ServiceAccount',
            '--endpoint-reconciler-type=none',
          ]),
      '--allow-privileged=true',
      `--admission-control-config-file=${file('admission.yaml')}`,
      '--enable-priority-and-fairness=false',
      '--v=1',
      ...(this.#options.apiServerArgs ?? []),
    ];
    const apiserver = new ManagedProcess('kube-apiserver', apiserverBin, apiserverArgs, this.#logDir);
    this.#processes.push(apiserver);
    const tls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };
    this.#apiserver = { bin: apiserverBin, args: apiserverArgs, tls };
    await pollUntil(
      'kube-apiserver /readyz',
      90_000,
      async () => (await httpsGet(`${server}/readyz`, tls)).status === 200,
      [etcd, apiserver],
    );
    await pollUntil(
      'the default namespace',
      60_000,
      async () => (await httpsGet(`${server}/api/v1/namespaces/default`, tls)).status === 200,
      [etcd, apiserver],
    );

    const kubeconfigPath = path.join(this.#dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(server, ca.certPem, admin, 'harness-admin'), {
      mode: 0o600,
    });
    if (this.#options.controllerManager !== false) await this.#startControllerManager(kubeconfigPath);
    if (node) await this.#startScheduler(kubeconfigPath);

    this.#info = {
      server,
      kubeconfigPath,
      caCertPem: ca.certPem,
      webhookClientCaPem: this.#webhookClientCaPem,
      etcdUrl,
      pids: this.#processes.map((p) => p.pid),
    };
    return this.#info;
  }

  /**
   * Stops kube-apiserver (SIGTERM, its graceful shutdown) and starts it again with the same port,
   * certificates and etcd; resolves once it is ready again. `downMs` keeps it down that long.
   */
  async restartApiServer(downMs = 0): Promise<void> {
    const spec = this.#apiserver;
    const old = this.process('kube-apiserver');
    if (!spec || !old || !this.#info) throw new Error('control plane not started');
    await old.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    const fresh = new ManagedProcess('kube-apiserver', spec.bin, spec.args, this.#logDir);
    this.#processes[this.#processes.indexOf(old)] = fresh;
    const etcd = this.process('etcd');
    await pollUntil(
      'kube-apiserver /readyz after a restart',
      90_000,
      async () => (await httpsGet(`${this.#info!.server}/readyz`, spec.tls)).status === 200,
      etcd ? [etcd, fresh] : [fresh],
    );
    this.#info = { ...this.#info, pids: this.#processes.map((p) => p.pid) };
  }

  async #startControllerManager(kubeconfigPath: string): Promise<void> {
    const controllerManagerBin = resolveTool('kube-controller-manager');
    const controllerManagerPort = await freePort();
    const controllerManager = new ManagedProcess(
      'kube-controller-manager',
      controllerManagerBin,
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        `--controllers=${(this.#options.node ? NODE_CONTROLLERS : ['garbagecollector', 'namespace', 'clusterrole-aggregation']).join(',')}`,
        ...(this.#options.node
          ? [
              `--service-account-private-key-file=${path.join(this.#dir, 'pki', 'sa.key')}`,
              `--root-ca-file=${path.join(this.#dir, 'pki', 'ca.crt')}`,
              `--service-cluster-ip-range=${this.#options.node.serviceClusterIpRange}`,
            ]
          : []),
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${controllerManagerPort}`,
        `--cert-dir=${path.join(this.#dir, 'kcm-certs')}`,
        '--concurrent-gc-syncs=5',
        '--v=1',
      ],
      this.#logDir,
    );
    this.#processes.push(controllerManager);
    await pollUntil(
      'kube-controller-manager /healthz',
      60_000,
      () => insecureHealthz(controllerManagerPort),
      [controllerManager],
    );
  }

  async #startScheduler(kubeconfigPath: string): Promise<void> {
    const port = await freePort();
    const scheduler = new ManagedProcess(
      'kube-scheduler',
      resolveTool('kube-scheduler'),
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        '--v=1',
      ],
      this.#logDir,
    );
    this.#processes.push(scheduler);
    await pollUntil('kube-scheduler /healthz', 60_000, () => insecureHealthz(port), [scheduler]);
  }

  /**
   * A certificate signed by this control plane's CA (which the API server trusts for client
   * certificates), e.g. a kubelet's client and serving certificates.
   */
  issue(request: Parameters<typeof issueCertificate>[1]): KeyPairPem {
    if (!this.#ca) throw new Error('control plane not started');
    return issueCertificate(this.#ca, request);
  }

  /** A kubeconfig for `user` (a certificate from `issue`), pointed at `server` (default: this one). */
  kubeconfigFor(user: KeyPairPem, userName: string, server = this.info.server): string {
    return kubeconfigYaml(server, this.info.caCertPem, user, userName);
  }

  /** Stops every process, newest first; resolves when all have exited. */
  async stop(): Promise<void> {
    for (const p of [...this.#processes].reverse()) await p.stop();
    this.#processes = [];
  }

  process(name: string): ManagedProcess | undefined {
    return this.#processes.find((p) => p.name === name);
  }
}

function insecureHealthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      `https://127.0.0.1:${port}/healthz`,
      { rejectUnauthorized: false, timeout: 3_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
