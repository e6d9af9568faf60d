import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import type { CommandResult } from '../../harness/context.ts';
import { resolveTool } from '../../harness/tools.ts';
import { findManifest, parseManifests, renderChart, type Manifest, type Values } from './chart.ts';

const execFileAsync = promisify(execFile);

/** The promtool unit tests beside this file, written for `promtoolValues` (see its header). */
export const promtoolTestFile = path.join(import.meta.dirname, 'alert-rules.promtool.yaml');
export const promtoolRelease = { name: 'c2c', namespace: 'ops' };
export const promtoolValues: Values = {
  fullnameOverride: 'c2c',
  metrics: {
    prometheusRule: {
      enabled: true,
      alertLabels: { team: 'contact-centre' },
      runbookBaseUrl: 'https://runbooks.example/operations.md',
    },
  },
};

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export type PrometheusRule = Manifest & { spec: { groups: RuleGroup[] } };

/** The chart's PrometheusRule, rendered with `helm template`. */
export async function renderPrometheusRule(
  values: Values = promtoolValues,
  release = promtoolRelease,
): Promise<PrometheusRule> {
  const manifests = parseManifests(await renderChart(release.name, release.namespace, values));
  return findManifest(manifests, 'PrometheusRule') as PrometheusRule;
}

export const alertsOf = (rule: PrometheusRule): AlertRule[] => rule.spec.groups.flatMap((g) => g.rules);

/**
 * Writes the rule groups as a Prometheus rules file. `withoutDescriptions` drops the `description`
 * annotations, which `promtool test rules` would otherwise compare word for word.
 */
export async function writeRulesFile(
  file: string,
  groups: RuleGroup[],
  options: { withoutDescriptions?: boolean } = {},
): Promise<void> {
  const written = options.withoutDescriptions
    ? groups.map((g) => ({
        ...g,
        rules: g.rules.map((r) => {
          const { description: _description, ...annotations } = r.annotations ?? {};
          return { ...r, annotations };
        }),
      }))
    : groups;
  await writeFile(file, dump({ groups: written }, { lineWidth: -1 }));
}

/** Runs promtool in `cwd`; never throws on a non-zero exit. */
export async function promtool(args: string[], cwd: string): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync(resolveTool('promtool'), args, { cwd });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}
