/**
 * The chart's alert rules and dashboard name only metrics and labels that the real processes expose:
 * an allocator on NATS with groups and an operator serving its webhook on the harness kube-apiserver
 * are driven through creates, an exhausted pool, failed matches and a lockout, a match, a cancel,
 * and group writes admitted and denied by the webhook; then both are scraped and every query is
 * checked against the scrapes (./metric-names.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import { groupYaml } from '../allocator/group-yaml.ts';
import { useReplicaSet } from '../allocator/replica-set.ts';
import {
  startOperatorWithWebhook,
  useOperators,
  type OperatorProcess,
} from '../operator/operator-process.ts';
import { alertsOf, renderPrometheusRule, type AlertRule } from './alert-rules.ts';
import { chartDir } from './chart.ts';
import {
  checkAlertRule,
  checkDashboard,
  checkExpression,
  dashboardQueries,
  vocabularyOf,
  type Vocabulary,
} from './metric-names.ts';

const FAILURES_PER_NUMBER = 3;

const ns = useNamespace('metric-names');
const operators = useOperators();
const allocators = useReplicaSet(
  'metric-names',
  groupYaml('tiny', ['+18005557000'], 300, '  uniqueDnis: true') +
    groupYaml('guessed', ['+18005557100'], 300, '  accessCode: { generate: true, length: 4 }') +
    groupYaml('codes', ['+18005557200', '+18005557201'], 300, '  accessCode: { generate: true, length: 4 }'),
  ['--match-failures-per-number', String(FAILURES_PER_NUMBER), '--match-lockout-seconds', '60'],
  1,
);
const webhookConfigName = uniqueName('c2c-metric-names');
const dashboard = JSON.parse(
  readFileSync(path.join(chartDir, 'dashboards', 'click-to-call-in.json'), 'utf8'),
) as Parameters<typeof checkDashboard>[0];

let operator: OperatorProcess | undefined;
let vocabulary: Vocabulary;
let rules: AlertRule[];

/** Another code of the same length (codes never start with 0). */
const wrongCode = (code: string, n: number) => String(((Number(code) - 1000 + n) % 9000) + 1000);

function groupManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'clicktocall.dev/v1alpha1',
    kind: 'ClickToCallInGroup',
    metadata: { name, namespace: ns.name },
    spec,
  });
}

async function driveAllocator(): Promise<string> {
  const allocator = allocators.replicas[0];
  if (!allocator) throw new Error('no allocator');
  // An exhausted pool.
  expect((await allocator.post('/v1/groups/tiny/requests', {})).status).toBe(201);
  const refused = await allocator.post('/v1/groups/tiny/requests', {});
  expect([refused.status, refused.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
  // Failed matches up to a lockout of the number, then a match refused with MATCH_LOCKED.
  const guessed = await allocator.post('/v1/groups/guessed/requests', {});
  expect(guessed.status).toBe(201);
  for (let i = 1; i <= FAILURES_PER_NUMBER; i++) {
    const wrong = await allocator.post('/v1/match', {
      dialledNumber: guessed.body.number,
      accessCode: wrongCode(guessed.body.accessCode, i),
    });
    expect(wrong.status).toBe(404);
  }
  const locked = await allocator.post('/v1/match', {
    dialledNumber: guessed.body.number,
    accessCode: guessed.body.accessCode,
  });
  expect([locked.status, locked.body.error.code]).toEqual([429, 'MATCH_LOCKED']);
  // A match and a cancel, so that requests end.
  const matched = await allocator.post('/v1/groups/codes/requests', {});
  const match = await allocator.post('/v1/match', {
    dialledNumber: matched.body.number,
    accessCode: matched.body.accessCode,
  });
  expect(match.status).toBe(200);
  const cancelled = await allocator.post('/v1/groups/codes/requests', {});
  const cancel = await fetch(`${allocator.url}/v1/requests/${cancelled.body.id}`, { method: 'DELETE' });
  expect(cancel.ok).toBe(true);
  return eventually('the allocator to count the ended requests and report itself ready', async () => {
    const text = await (await fetch(`${allocator.metricsUrl}/metrics`)).text();
    const ended = /^c2c_allocator_request_ends_total\{.*outcome="cancelled"/m.test(text);
    // Ready on a reachable store: what /readyz answers, the health gauges say.
    const healthy = /^c2c_allocator_store_up 1$/m.test(text) && /^c2c_allocator_ready 1$/m.test(text);
    return ended && healthy ? text : undefined;
  });
}

async function driveOperator(): Promise<string> {
  operator = await startOperatorWithWebhook(
    'operator-metric-names',
    ns.name,
    webhookConfigName,
    operators.kube,
  );
  const apply = (manifest: string) => kubectl(['apply', '-n', ns.name, '-f', '-'], { input: manifest });
  // Until the API server has loaded the webhook configuration, calls may fail: retry.
  await eventually('a group admitted by the webhook', async () => {
    const admitted = await apply(groupManifest('admitted', { dnisPool: [{ number: '+18005557300' }] }));
    return admitted.code === 0;
  });
  const denied = await apply(groupManifest('denied', { dnisPool: [{ number: '+9991234567' }] }));
  expect(denied.stderr).toContain('denied the request');
  const op = operator;
  await eventually('the group to be reconciled', async () => {
    const reconciled = await op.metric('c2c_operator_reconciles_total', { result: 'success' });
    const written = await op.metric('c2c_operator_config_map_writes_total', { action: 'created' });
    // The status written, as the cache sees it, is the group's generation.
    const behind = await op.metric('c2c_operator_groups_not_observed');
    return reconciled > 0 && written > 0 && behind === 0;
  });
  return (await op.get('/metrics')).body;
}

beforeAll(async () => {
  const [allocatorScrape, operatorScrape] = await Promise.all([driveAllocator(), driveOperator()]);
  vocabulary = vocabularyOf([allocatorScrape, operatorScrape]);
  rules = alertsOf(await renderPrometheusRule());
});

afterAll(async () => {
  await kubectl(['delete', 'validatingwebhookconfiguration', webhookConfigName, '--ignore-not-found']);
  await operator?.stop();
});

/** The rule named `alert` with `from` replaced by `to` in its expression (and nothing else). */
function edited(alert: string, from: string | RegExp, to: string): AlertRule {
  const rule = rules.find((r) => r.alert === alert);
  if (!rule) throw new Error(`no alert ${alert}`);
  const expr = rule.expr.replaceAll(from, to);
  expect(expr).not.toBe(rule.expr);
  return { ...rule, expr };
}

describe('the metric and label names of the rules and the dashboard', () => {
  it('scraped both processes with the series the queries read', () => {
    for (const name of [
      'c2c_allocator_pool_exhausted_total',
      'c2c_allocator_match_failures_total',
      'c2c_allocator_match_lockouts_total',
      'c2c_allocator_http_request_duration_seconds_count',
      'c2c_allocator_request_ends_total',
      'c2c_allocator_store_up',
      'c2c_allocator_ready',
      'c2c_operator_reconciles_total',
      'c2c_operator_webhook_duration_seconds_bucket',
      'c2c_operator_webhook_requests_total',
      'c2c_operator_informer_events_total',
      'c2c_operator_groups_not_observed',
    ])
      expect(vocabulary.series.has(name), name).toBe(true);
    expect([...(vocabulary.series.get('c2c_operator_webhook_duration_seconds_bucket') ?? [])].sort()).toEqual(
      ['le', 'operation'],
    );
  });

  it('every alert rule names only metrics and labels the processes expose', () => {
    expect(rules).toHaveLength(13);
    expect(rules.flatMap((rule) => checkAlertRule(rule, vocabulary))).toEqual([]);
  });

  it('every dashboard panel and variable names only metrics and labels the processes expose', () => {
    expect(dashboardQueries(dashboard).length).toBeGreaterThan(30);
    expect(checkDashboard(dashboard, vocabulary)).toEqual([]);
  });

  it('would report a misspelt metric or label, a label the series lack, and a label a query drops', () => {
    const problems = (rule: AlertRule) => checkAlertRule(rule, vocabulary);
    expect(
      problems(edited('ClickToCallInPoolExhausted', 'pool_exhausted_total', 'pool_exausted_total')),
    ).toEqual(['alert ClickToCallInPoolExhausted: unknown metric "c2c_allocator_pool_exausted_total"']);
    expect(problems(edited('ClickToCallInReconcileErrors', 'result="error"', 'reslt="error"'))).toEqual([
      'alert ClickToCallInReconcileErrors: matcher of c2c_operator_reconciles_total: no such label "reslt"',
    ]);
    expect(
      problems(edited('ClickToCallInMatchFailureSurge', 'sum by (namespace)', 'sum by (namespace, group)')),
    ).toEqual(['alert ClickToCallInMatchFailureSurge: sum by (namespace, group): no such label "group"']);
    expect(
      problems(
        edited('ClickToCallInWebhookLatencyHigh', 'duration_seconds_bucket', 'duration_seconds_buckets'),
      ),
    ).toEqual([
      'alert ClickToCallInWebhookLatencyHigh: unknown metric "c2c_operator_webhook_duration_seconds_buckets"',
    ]);
    expect(
      problems(edited('ClickToCallInWebhookLatencyHigh', 'by (namespace, le)', 'by (namespace)')),
    ).toEqual(['alert ClickToCallInWebhookLatencyHigh: histogram_quantile over series without "le"']);
    expect(
      problems(edited('ClickToCallInPoolUtilisationHigh', 'by (namespace, group)', 'by (namespace)')),
    ).toEqual([
      'alert ClickToCallInPoolUtilisationHigh: annotation summary uses $labels.group, which the expression does not keep',
      'alert ClickToCallInPoolUtilisationHigh: annotation description uses $labels.group, which the expression does not keep',
    ]);
    expect(problems(edited('ClickToCallInAllocatorNotReady', 'up{', 'upp{'))).toEqual([
      'alert ClickToCallInAllocatorNotReady: unknown metric "upp"',
    ]);
    // A family the process declares but had no series of cannot be checked: drive traffic for it.
    expect(
      checkExpression('c2c_allocator_group_config_invalid_since_seconds > 0', vocabulary, 'q').problems,
    ).toEqual([
      'q: metric "c2c_allocator_group_config_invalid_since_seconds" is declared but had no series in the scrapes (drive traffic that makes one)',
    ]);
  });

  it('would report a dashboard legend or variable naming a label the query does not keep', () => {
    const broken = {
      panels: [
        {
          title: 'Pool size',
          targets: [
            {
              expr: 'max by (group) (c2c_allocator_pool_size{namespace=~"$namespace"})',
              legendFormat: '{{grup}}',
            },
          ],
        },
        {
          title: 'Ends',
          targets: [{ expr: 'sum(rate(c2c_allocator_request_ends_totl[$__rate_interval]))' }],
        },
      ],
      templating: {
        list: [
          { name: 'group', type: 'query', query: { query: 'label_values(c2c_allocator_pool_size, groop)' } },
        ],
      },
    };
    expect(checkDashboard(broken, vocabulary)).toEqual([
      'panel "Pool size": uses label "grup", which the query does not keep',
      'panel "Ends": unknown metric "c2c_allocator_request_ends_totl"',
      'variable $group: uses label "groop", which the query does not keep',
    ]);
  });
});
