import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import {
  alertsOf,
  promtool,
  promtoolTestFile,
  renderPrometheusRule,
  writeRulesFile,
  type PrometheusRule,
} from './alert-rules.ts';
import {
  chartDir,
  findManifest,
  parseManifests,
  readText,
  renderChart,
  runHelm,
  type Manifest,
  type Values,
} from './chart.ts';

const ns = useNamespace('chart-alerts');
const operationsDoc = path.resolve(chartDir, '../../docs/operations.md');
const dashboardFile = path.join(chartDir, 'dashboards', 'click-to-call-in.json');

const everythingOn = (namespace: string): Values => ({
  metrics: {
    serviceMonitor: { enabled: true },
    prometheusRule: {
      enabled: true,
      labels: { release: 'prometheus' },
      alertLabels: { team: 'contact-centre' },
      runbookBaseUrl: 'https://runbooks.example/operations.md',
    },
    grafanaDashboard: {
      enabled: true,
      namespace,
      labelKey: 'example.com/dashboard',
      labelValue: 'yes',
      annotations: { grafana_folder: 'Contact centre' },
    },
  },
});

/** GitHub's anchor of a Markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

const headingAnchors = (markdown: string): Set<string> =>
  new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));

interface PromtoolTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

let dir = '';
let rule: PrometheusRule;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'c2c-alerts-'));
  rule = await renderPrometheusRule();
});

afterAll(async () => {
  await kubectl(['delete', 'crd', '--ignore-not-found', 'prometheusrules.monitoring.coreos.com']);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Copies the promtool unit tests beside `rules.yaml` written from `groups`, and runs them. */
async function runPromtoolTests(r: PrometheusRule, folder: string) {
  await writeRulesFile(path.join(folder, 'rules.yaml'), r.spec.groups, { withoutDescriptions: true });
  await copyFile(promtoolTestFile, path.join(folder, 'tests.yaml'));
  return promtool(['test', 'rules', 'tests.yaml'], folder);
}

describe('the chart without monitoring values', () => {
  it('renders no PrometheusRule and no dashboard ConfigMap', async () => {
    const manifests = parseManifests(await renderChart('c2c', ns.name));
    expect(manifests.filter((m) => m.kind === 'PrometheusRule')).toEqual([]);
    expect(manifests.filter((m) => m.kind === 'ConfigMap')).toEqual([]);
  });
});

describe('the PrometheusRule', () => {
  it('passes helm lint --strict with the rules and the dashboard on', async () => {
    const linted = await runHelm(['lint', '--strict', chartDir], everythingOn(ns.name));
    expect(linted.code, linted.stdout + linted.stderr).toBe(0);
    expect(linted.stdout).toContain('0 chart(s) failed');
  });

  it('renders objects the API server accepts (with a stand-in for the Prometheus Operator CRD)', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'prometheusrules.monitoring.coreos.com' },
      spec: {
        group: 'monitoring.coreos.com',
        scope: 'Namespaced',
        names: {
          kind: 'PrometheusRule',
          plural: 'prometheusrules',
          singular: 'prometheusrule',
          listKind: 'PrometheusRuleList',
        },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) })).code).toBe(0);
    const established = await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/prometheusrules.monitoring.coreos.com',
    ]);
    expect(established.code, established.stderr).toBe(0);
    const manifests = parseManifests(await renderChart(uniqueName('c2c'), ns.name, everythingOn(ns.name)));
    const monitoring = manifests.filter((m) => m.kind === 'PrometheusRule' || m.kind === 'ConfigMap');
    expect(monitoring.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'PrometheusRule']);
    const applied = await kubectl(['apply', '--dry-run=server', '--namespace', ns.name, '-f', '-'], {
      input: monitoring.map((m) => JSON.stringify(m)).join('\n---\n'),
    });
    expect(applied.code, applied.stderr).toBe(0);
  });

  it('has the thirteen alerts, each with a summary, a description and a runbook section in docs/operations.md', () => {
    const alerts = alertsOf(rule);
    expect(alerts.map((a) => a.alert)).toEqual([
      'ClickToCallInPoolUtilisationHigh',
      'ClickToCallInPoolExhausted',
      'ClickToCallInMatchFailureSurge',
      'ClickToCallInMatchLockoutSurge',
      'ClickToCallInStoreUnavailable',
      'ClickToCallInAllocatorNotReady',
      'ClickToCallInReconcileErrors',
      'ClickToCallInGroupsNotReconciled',
      'ClickToCallInGroupGenerationStale',
      'ClickToCallInOperatorNoLeader',
      'ClickToCallInWebhookLatencyHigh',
      'ClickToCallInWebhookErrors',
      'ClickToCallInWatchWatchdog',
    ]);
    const anchors = headingAnchors(readText(operationsDoc));
    for (const alert of alerts) {
      expect(alert.annotations?.summary, alert.alert).toMatch(/\w/);
      expect(alert.annotations?.description?.length, alert.alert).toBeGreaterThan(40);
      const url = alert.annotations?.runbook_url ?? '';
      expect(url, alert.alert).toBe(`https://runbooks.example/operations.md#${anchorOf(alert.alert)}`);
      expect(anchors, `docs/operations.md has no section "### ${alert.alert}"`).toContain(
        anchorOf(alert.alert),
      );
      expect(alert.labels, alert.alert).toEqual({
        severity: expect.stringMatching(/^(warning|critical)$/),
        team: 'contact-centre',
      });
    }
  });

  it('links the runbooks to docs/operations.md in the repository by default', async () => {
    const plain = await renderPrometheusRule({ metrics: { prometheusRule: { enabled: true } } });
    for (const alert of alertsOf(plain))
      expect(alert.annotations?.runbook_url).toBe(`docs/operations.md#${anchorOf(alert.alert)}`);
  });

  it('passes promtool check rules', async () => {
    const file = path.join(dir, 'rules.yaml');
    await writeRulesFile(file, rule.spec.groups);
    const checked = await promtool(['check', 'rules', '--lint-fatal', file], dir);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('SUCCESS: 13 rules found');
  });

  it('passes its promtool unit tests: every alert fires above its threshold, and not below it nor before `for`', async () => {
    const tested = await runPromtoolTests(rule, dir);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toContain('SUCCESS');
    // Every alert is tested both ways.
    const tests = load(readText(promtoolTestFile)) as PromtoolTests;
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alertsOf(rule)) {
      const mine = cases.filter((c) => c.alertname === alert.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert.alert} firing`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert.alert} not firing`,
      ).toBe(true);
    }
  });

  it('would notice a changed threshold or `for` (the unit tests are live)', async () => {
    const changed = await renderPrometheusRule({
      fullnameOverride: 'c2c',
      metrics: {
        prometheusRule: {
          enabled: true,
          alertLabels: { team: 'contact-centre' },
          runbookBaseUrl: 'https://runbooks.example/operations.md',
          alerts: { poolUtilisationHigh: { threshold: 0.95 }, webhookErrors: { for: '1h' } },
        },
      },
    });
    const folder = await mkdtemp(path.join(dir, 'changed-'));
    const tested = await runPromtoolTests(changed, folder);
    expect(tested.code).not.toBe(0);
    expect(tested.stdout + tested.stderr).toContain('alertname: ClickToCallInPoolUtilisationHigh');
    expect(tested.stdout + tested.stderr).toContain('alertname: ClickToCallInWebhookErrors');
  });

  it('takes thresholds, windows, `for`, severities and selectors from values, and leaves out a disabled alert', async () => {
    const custom = await renderPrometheusRule(
      {
        metrics: {
          prometheusRule: {
            enabled: true,
            allocatorSelector: 'app="c2c-allocator"',
            alerts: {
              poolExhausted: { threshold: 3, window: '15m', for: '1m', severity: 'page' },
              webhookLatencyHigh: { quantile: 0.9, threshold: 0.25 },
              matchLockoutSurge: { enabled: false },
            },
          },
        },
      },
      { name: 'rel', namespace: 'chart-test' },
    );
    const byName = new Map(alertsOf(custom).map((a) => [a.alert, a]));
    expect(byName.has('ClickToCallInMatchLockoutSurge')).toBe(false);
    expect(byName.size).toBe(12);
    const exhausted = byName.get('ClickToCallInPoolExhausted');
    expect(exhausted?.expr).toContain('c2c_allocator_pool_exhausted_total{app="c2c-allocator"}[15m]');
    expect(exhausted?.expr).toMatch(/> 3$/);
    expect(exhausted?.for).toBe('1m');
    expect(exhausted?.labels?.severity).toBe('page');
    const latency = byName.get('ClickToCallInWebhookLatencyHigh');
    expect(latency?.expr).toMatch(/^histogram_quantile\(0\.9, /);
    expect(latency?.expr).toMatch(/> 0\.25$/);
    expect(latency?.expr).toContain(`namespace="chart-test", job="rel-click-to-call-in-operator-metrics"`);
  });
});

describe('the Grafana dashboard', () => {
  it('ships dashboards/click-to-call-in.json in a ConfigMap labelled for the dashboard sidecars', async () => {
    const manifests = parseManifests(
      await renderChart('c2c', ns.name, { metrics: { grafanaDashboard: { enabled: true } } }),
    );
    const configMap = findManifest(manifests, 'ConfigMap', '-dashboard') as Manifest & {
      data: Record<string, string>;
    };
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(configMap.metadata.namespace).toBe(ns.name);
    const json = configMap.data['click-to-call-in.json'] ?? '';
    expect(json).toBe(readText(dashboardFile).trimEnd());
    const dashboard = JSON.parse(json) as {
      uid: string;
      title: string;
      panels: { type: string; datasource?: unknown }[];
    };
    expect([dashboard.uid, dashboard.title]).toEqual(['click-to-call-in', 'Click-To-Call-In']);
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(20);
    for (const panel of graphs)
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('takes the label, its value, the namespace and annotations from values', async () => {
    const manifests = parseManifests(await renderChart('c2c', ns.name, everythingOn('monitoring')));
    const configMap = findManifest(manifests, 'ConfigMap', '-dashboard');
    expect(configMap.metadata.namespace).toBe('monitoring');
    expect(configMap.metadata.labels?.['example.com/dashboard']).toBe('yes');
    expect(configMap.metadata.labels?.grafana_dashboard).toBeUndefined();
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Contact centre' });
  });
});
