import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig as loadAllocatorConfig } from '#allocator/config';
import { loadConfig as loadOperatorConfig } from '#operator/config';
import { helm, kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import {
  chartCrdFile,
  chartDir,
  findManifest,
  generatedCrdFile,
  isolatedWebhook,
  parseManifests,
  readText,
  renderChart,
  runHelm,
  type Manifest,
  type Values,
} from './chart.ts';

const ns = useNamespace('chart-render');

/** Everything switched away from its default: cert-manager, ServiceMonitors, NATS secrets, API keys… */
const productionValues = (namespace: string): Values => ({
  fullnameOverride: 'c2c',
  commonLabels: { team: 'contact-centre' },
  imagePullSecrets: [{ name: 'regcred' }],
  crds: { install: false, keep: true },
  operator: {
    image: { repository: 'registry.example/c2c/operator', digest: `sha256:${'a'.repeat(64)}` },
    replicas: 3,
    logLevel: 'debug',
    extraEnv: [{ name: 'EXTRA', value: '1' }],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'c2c', effect: 'NoSchedule' }],
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'operator' } },
      },
    ],
    serviceAccount: { annotations: { 'example.com/role': 'operator' } },
  },
  webhook: {
    ...isolatedWebhook(namespace),
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
    certManager: {
      enabled: true,
      issuerRef: { kind: 'ClusterIssuer', name: 'internal-ca', group: 'cert-manager.io' },
    },
    clientAuth: { caConfigMap: 'apiserver-webhook-client-ca', names: ['kube-apiserver-webhook-client'] },
  },
  allocator: {
    image: { repository: 'registry.example/c2c/allocator', tag: '1.2.3' },
    watchNamespace: namespace,
    apiKeys: {
      keys: [{ name: 'ivr', sha256: 'b'.repeat(64), scopes: ['match', 'read'], groups: ['auto_insurance'] }],
    },
    service: { type: 'LoadBalancer', port: 8443, annotations: { 'example.com/lb': 'internal' } },
    autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 30, targetCPUUtilizationPercentage: 60 },
    podDisruptionBudget: { enabled: true, minAvailable: '50%' },
  },
  nats: {
    url: 'tls://nats-0.nats:4222,tls://nats-1.nats:4222',
    credentials: { existingSecret: 'nats-allocator', key: 'allocator.creds' },
    tls: { caSecret: 'nats-ca' },
    kv: { bucket: 'c2c-prod', replicas: 3 },
  },
  metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } } },
  networkPolicy: {
    allocatorFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ivr' } } }],
    metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
  },
});

/** A trial: no NATS (one allocator on the in-process store), no webhook, no extras. */
const trialValues: Values = {
  crds: { install: false, keep: true },
  operator: { replicas: 1, leaderElection: { enabled: false }, podDisruptionBudget: { enabled: false } },
  webhook: { enabled: false },
  allocator: { replicas: 1, autoscaling: { enabled: false } },
  nats: { url: '' },
  rbac: { create: true, aggregateToDefaultRoles: false },
  networkPolicy: { enabled: false },
};

// Minimal stand-ins for the cert-manager and Prometheus Operator CRDs, so the API server can judge the
// optional objects; removed after the file.
const foreignCrds = [
  { group: 'cert-manager.io', kind: 'Certificate', plural: 'certificates', version: 'v1' },
  { group: 'cert-manager.io', kind: 'Issuer', plural: 'issuers', version: 'v1' },
  { group: 'monitoring.coreos.com', kind: 'ServiceMonitor', plural: 'servicemonitors', version: 'v1' },
].map((c) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${c.plural}.${c.group}` },
  spec: {
    group: c.group,
    scope: 'Namespaced',
    names: { kind: c.kind, plural: c.plural, singular: c.kind.toLowerCase(), listKind: `${c.kind}List` },
    versions: [
      {
        name: c.version,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
}));

async function serverDryRun(manifests: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return kubectl(['apply', '--dry-run=server', '--namespace', ns.name, '-f', '-'], { input: manifests });
}

beforeAll(async () => {
  // Warn (as kubectl output) on anything the restricted Pod Security Standard would refuse.
  const labelled = await kubectl([
    'label',
    'namespace',
    ns.name,
    'pod-security.kubernetes.io/warn=restricted',
  ]);
  expect(labelled.code, labelled.stderr).toBe(0);
  const created = await kubectl(['apply', '-f', '-'], {
    input: foreignCrds.map((c) => JSON.stringify(c)).join('\n---\n'),
  });
  expect(created.code, created.stderr).toBe(0);
  for (const c of foreignCrds) {
    const ready = await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      `crd/${c.metadata.name}`,
    ]);
    expect(ready.code, ready.stderr).toBe(0);
  }
});

afterAll(async () => {
  await kubectl(['delete', 'crd', '--ignore-not-found', ...foreignCrds.map((c) => c.metadata.name)]);
});

describe('the chart', () => {
  it('passes helm lint --strict with its defaults and with every option switched', async () => {
    for (const values of [undefined, productionValues(ns.name), trialValues]) {
      const linted = await runHelm(['lint', '--strict', chartDir], values);
      expect(linted.code, linted.stdout + linted.stderr).toBe(0);
      expect(linted.stdout).toContain('0 chart(s) failed');
    }
  });

  it('ships the CRD exactly as generated into crds/ (run npm run generate when this fails)', () => {
    expect(readText(chartCrdFile)).toBe(readText(generatedCrdFile));
  });

  it('renders defaults the API server accepts, within the restricted Pod Security Standard', async () => {
    const rendered = await renderChart('c2c', ns.name);
    const applied = await serverDryRun(rendered);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).not.toMatch(/PodSecurity/);

    const manifests = parseManifests(rendered);
    const kinds = manifests.map((m) => m.kind).sort();
    expect(kinds).toEqual(
      [
        'ClusterRole',
        'ClusterRole',
        'ClusterRole',
        'ClusterRole',
        'ClusterRoleBinding',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'Deployment',
        'Deployment',
        'HorizontalPodAutoscaler',
        'NetworkPolicy',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'Service',
        'Service',
        'ServiceAccount',
        'ServiceAccount',
        'ValidatingWebhookConfiguration',
      ].sort(),
    );
    const operator = findManifest(manifests, 'Deployment', '-operator') as Manifest & {
      spec: { replicas: number; template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    expect(operator.spec.replicas).toBe(2);
    expect(operator.spec.template.spec.containers[0]?.args).toContain('--leader-elect=true');
    const crd = findManifest(manifests, 'CustomResourceDefinition');
    expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    // Rendering adds the release's labels and the keep annotation and changes nothing else.
    const generated = parseManifests(readText(generatedCrdFile))[0];
    expect(crd.spec).toEqual(generated?.spec);
    expect(crd.metadata.name).toBe(generated?.metadata.name);
  });

  it('would notice a pod outside the restricted Pod Security Standard (the check above is live)', async () => {
    const loose = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'loose' },
      spec: {
        selector: { matchLabels: { app: 'loose' } },
        template: {
          metadata: { labels: { app: 'loose' } },
          spec: { containers: [{ name: 'c', image: 'registry.example/loose:1' }] },
        },
      },
    };
    const applied = await serverDryRun(JSON.stringify(loose));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/would violate PodSecurity "restricted:latest"/);
  });

  it('renders every non-default option into objects the API server accepts', async () => {
    for (const values of [productionValues(ns.name), trialValues]) {
      const rendered = await renderChart(uniqueName('c2c'), ns.name, values);
      const applied = await serverDryRun(rendered);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stderr).not.toMatch(/PodSecurity/);
    }
  });

  it('wires the production options into the objects', async () => {
    const manifests = parseManifests(await renderChart('prod', ns.name, productionValues(ns.name)));
    const kinds = new Set(manifests.map((m) => m.kind));
    expect(kinds).toContain('Certificate');
    expect(kinds).toContain('ServiceMonitor');
    expect(kinds).not.toContain('CustomResourceDefinition');
    expect(kinds).not.toContain('Issuer'); // a ClusterIssuer was named
    const webhook = findManifest(manifests, 'ValidatingWebhookConfiguration');
    expect(webhook.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(`${ns.name}/c2c-webhook`);
    const allocator = findManifest(manifests, 'Deployment', '-allocator') as Manifest & {
      spec: {
        replicas?: number;
        template: { spec: { containers: Array<{ args: string[]; image: string }> } };
      };
    };
    const container = allocator.spec.template.spec.containers[0];
    expect(allocator.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(container?.image).toBe('registry.example/c2c/allocator:1.2.3');
    expect(container?.args).toEqual(
      expect.arrayContaining([
        `--namespace=${ns.name}`,
        '--nats-url=tls://nats-0.nats:4222,tls://nats-1.nats:4222',
        '--nats-bucket=c2c-prod',
        '--api-keys-file=/var/run/click-to-call-in/api-keys/api-keys.json',
      ]),
    );
    expect(container?.args).not.toContain('--insecure-open');
    // The webhook verifies that its caller is the API server.
    const operator = findManifest(manifests, 'Deployment', '-operator') as Manifest & {
      spec: {
        template: {
          spec: {
            containers: Array<{ args: string[]; volumeMounts: Array<{ name: string; mountPath: string }> }>;
            volumes: Array<{ name: string; configMap?: { name: string } }>;
          };
        };
      };
    };
    const opContainer = operator.spec.template.spec.containers[0];
    expect(opContainer?.args).toEqual(
      expect.arrayContaining([
        '--webhook-client-ca-file=/var/run/click-to-call-in/webhook-client-ca/ca.crt',
        '--webhook-client-names=kube-apiserver-webhook-client',
      ]),
    );
    expect(opContainer?.volumeMounts).toContainEqual({
      name: 'webhook-client-ca',
      mountPath: '/var/run/click-to-call-in/webhook-client-ca',
      readOnly: true,
    });
    expect(operator.spec.template.spec.volumes).toContainEqual({
      name: 'webhook-client-ca',
      configMap: { name: 'apiserver-webhook-client-ca' },
    });
    // Metrics on their own port: scraped there, and only scrapers may reach it.
    expect(container?.args).toContain('--metrics-port=9090');
    const monitors = manifests.filter((m) => m.kind === 'ServiceMonitor') as Array<
      Manifest & { spec: { endpoints: Array<{ port: string }> } }
    >;
    expect(monitors.find((m) => m.metadata.name.endsWith('-allocator'))?.spec.endpoints[0]?.port).toBe(
      'metrics',
    );
    const policy = manifests.find(
      (m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith('-allocator'),
    ) as Manifest & { spec: { ingress: Array<{ ports: Array<{ port: string }>; from?: unknown[] }> } };
    expect(policy.spec.ingress).toEqual([
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ivr' } } }],
      },
      {
        ports: [{ port: 'metrics', protocol: 'TCP' }],
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      },
    ]);
    // Reading ConfigMaps in one namespace only: a RoleBinding there, no ClusterRoleBinding.
    const bindings = manifests.filter((m) => m.kind === 'ClusterRoleBinding').map((m) => m.metadata.name);
    expect(bindings).toEqual([`${ns.name}-c2c-operator`]);
  });

  it('renders the trial setup with one allocator on the in-process store', async () => {
    const manifests = parseManifests(await renderChart('trial', ns.name, trialValues));
    const kinds = new Set(manifests.map((m) => m.kind));
    for (const absent of [
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'ValidatingWebhookConfiguration',
      'NetworkPolicy',
    ]) {
      expect(kinds).not.toContain(absent);
    }
    const allocator = findManifest(manifests, 'Deployment', '-allocator') as Manifest & {
      spec: {
        replicas: number;
        strategy: { type: string };
        template: { spec: { containers: Array<{ args: string[] }> } };
      };
    };
    expect(allocator.spec.replicas).toBe(1);
    expect(allocator.spec.strategy.type).toBe('Recreate');
    expect(allocator.spec.template.spec.containers[0]?.args.some((a) => a.startsWith('--nats-url'))).toBe(
      false,
    );
  });
});

type Workload = Manifest & {
  spec: {
    template: {
      spec: { containers: Array<{ args: string[]; env?: Array<{ name: string; value?: string }> }> };
    };
  };
};

/** The arguments and plain environment values of a rendered Deployment's only container. */
function commandLine(manifests: Manifest[], suffix: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const container = (findManifest(manifests, 'Deployment', suffix) as Workload).spec.template.spec
    .containers[0];
  const env: NodeJS.ProcessEnv = {};
  for (const e of container?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return { args: container?.args ?? [], env };
}

describe('the command lines the chart writes', () => {
  const cases = [
    { name: 'defaults', values: () => undefined },
    { name: 'production', values: () => productionValues(ns.name) },
    { name: 'trial', values: () => trialValues },
  ];

  it.each(cases)('use only flags the operator knows ($name)', async ({ values }) => {
    const manifests = parseManifests(await renderChart('flags', ns.name, values()));
    const { args, env } = commandLine(manifests, '-operator');
    const config = loadOperatorConfig(args, env);
    const webhook = findManifest(manifests, 'Deployment', '-operator');
    expect(config['lease-name']).toBe(webhook.metadata.name);
    if (values() === trialValues) {
      expect(config['leader-elect']).toBe(false);
      expect(config.webhook).toBe(false);
    } else {
      expect(config['leader-elect']).toBe(true);
      expect(config.webhook).toBe(true);
    }
  });

  it('point the self-managed webhook certificate at the objects the chart creates', async () => {
    const manifests = parseManifests(await renderChart('flags', ns.name));
    const config = loadOperatorConfig(commandLine(manifests, '-operator').args, {});
    expect(config['webhook-self-managed']).toBe(true);
    expect(config['webhook-configuration-name']).toBe(
      findManifest(manifests, 'ValidatingWebhookConfiguration').metadata.name,
    );
    expect(config['webhook-service-name']).toBe(findManifest(manifests, 'Service', '-webhook').metadata.name);
    const role = findManifest(manifests, 'Role') as Manifest & {
      rules: Array<{ resources: string[]; resourceNames?: string[] }>;
    };
    const secretRule = role.rules.find((r) => r.resources.includes('secrets') && r.resourceNames);
    expect(secretRule?.resourceNames).toEqual([config['webhook-secret-name']]);
  });

  it.each(cases)('use only flags the allocator knows ($name)', async ({ values }) => {
    const manifests = parseManifests(await renderChart('flags', ns.name, values()));
    const { args, env } = commandLine(manifests, '-allocator');
    const config = loadAllocatorConfig(args, env);
    expect(config.host).toBe('0.0.0.0');
    expect(config.kubernetes).toBe(true);
    expect(config.printExamples).toBe(false);
    expect(config.natsUrl).toBe(
      values() === trialValues
        ? undefined
        : ((values()?.nats as { url: string } | undefined)?.url ?? 'nats://nats:4222'),
    );
  });
});

describe('bad values', () => {
  const refusals: Array<{ what: string; values: Values; message: RegExp }> = [
    {
      what: 'a misspelt key',
      values: { operator: { replica: 2 } },
      message: /at '\/operator': additional properties 'replica' not allowed/,
    },
    {
      what: 'zero allocators',
      values: { allocator: { replicas: 0 } },
      message: /at '\/allocator\/replicas': minimum: got 0, want 1/,
    },
    {
      what: 'an unknown failure policy',
      values: { webhook: { failurePolicy: 'Sometimes' } },
      message: /at '\/webhook\/failurePolicy': value must be one of 'Fail', 'Ignore'/,
    },
    {
      what: 'a webhook timeout over 30 s',
      values: { webhook: { timeoutSeconds: 45 } },
      message: /at '\/webhook\/timeoutSeconds': maximum: got 45, want 30/,
    },
    {
      what: 'a NATS URL without a scheme',
      values: { nats: { url: 'nats.example:4222' } },
      message: /at '\/nats\/url': 'nats.example:4222' does not match pattern/,
    },
    {
      what: 'two KV replicas',
      values: { nats: { kv: { replicas: 2 } } },
      message: /at '\/nats\/kv\/replicas': value must be one of 1, 3, 5/,
    },
    {
      what: 'a malformed image digest',
      values: { operator: { image: { digest: 'latest' } } },
      message: /at '\/operator\/image\/digest': 'latest' does not match pattern/,
    },
    {
      what: 'a bad log level',
      values: { allocator: { logLevel: 'verbose' } },
      message: /at '\/allocator\/logLevel': value must be one of/,
    },
    {
      what: 'a string where a number belongs',
      values: { operator: { metricsPort: 'http' } },
      message: /at '\/operator\/metricsPort': got string, want integer/,
    },
    {
      what: 'an API key given in clear',
      values: { allocator: { apiKeys: { keys: [{ name: 'ivr', sha256: 's3cret', scopes: ['match'] }] } } },
      message: /at '\/allocator\/apiKeys\/keys\/0\/sha256': 's3cret' does not match pattern/,
    },
    {
      what: 'an unknown API key scope',
      values: {
        allocator: { apiKeys: { keys: [{ name: 'ivr', sha256: 'c'.repeat(64), scopes: ['admin'] }] } },
      },
      message:
        /at '\/allocator\/apiKeys\/keys\/0\/scopes\/0': value must be one of 'request', 'match', 'read'/,
    },
    {
      what: 'autoscaling without NATS',
      values: { nats: { url: '' } },
      message: /allocator.autoscaling.enabled needs nats.url/,
    },
    {
      what: 'two allocators without NATS',
      values: { nats: { url: '' }, allocator: { autoscaling: { enabled: false } } },
      message: /allocator.replicas > 1 needs nats.url/,
    },
    {
      what: 'two operators without leader election',
      values: { operator: { leaderElection: { enabled: false } } },
      message: /operator.replicas > 1 needs operator.leaderElection.enabled=true/,
    },
    {
      what: 'fewer maximum than minimum replicas',
      values: { allocator: { autoscaling: { minReplicas: 5, maxReplicas: 3 } } },
      message: /maxReplicas must be at least allocator.autoscaling.minReplicas/,
    },
  ];

  it.each(refusals)(
    'refuses $what at install time with a message that names it',
    async ({ values, message }) => {
      const installed = await runHelm(
        ['install', 'refused', chartDir, '--namespace', ns.name, '--dry-run=server'],
        values,
      );
      expect(installed.code).not.toBe(0);
      expect(installed.stderr).toMatch(message);
      const listed = await helm(['list', '--namespace', ns.name, '--short']);
      expect(listed.stdout.trim()).toBe('');
    },
  );
});
