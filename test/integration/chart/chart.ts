import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { helm, kubectl, type CommandResult } from '../../harness/context.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const chartDir = path.join(root, 'charts', 'click-to-call-in');
/** The generated CRD (the one source) and the chart's copy of it. */
export const generatedCrdFile = path.join(root, 'crds', 'clicktocall.dev_clicktocallingroups.yaml');
export const chartCrdFile = path.join(chartDir, 'files', 'crds', 'clicktocall.dev_clicktocallingroups.yaml');
export const crdName = 'clicktocallingroups.clicktocall.dev';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export type Values = Record<string, unknown>;

/** Values every test install uses: the webhook only sees groups in the test's own namespace. */
export function isolatedWebhook(namespace: string): Values {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

function valuesArgs(values: Values | undefined): { args: string[]; input?: string } {
  // Values go in on stdin as JSON (a subset of YAML), exactly as a values file would.
  return values ? { args: ['-f', '-'], input: JSON.stringify(values) } : { args: [] };
}

export function runHelm(args: string[], values?: Values): Promise<CommandResult> {
  const v = valuesArgs(values);
  return helm([...args, ...v.args], v.input === undefined ? {} : { input: v.input });
}

/** `helm template`; throws with helm's message when rendering fails. */
export async function renderChart(release: string, namespace: string, values?: Values): Promise<string> {
  const result = await runHelm(['template', release, chartDir, '--namespace', namespace], values);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.stdout;
}

export function parseManifests(yaml: string): Manifest[] {
  return loadAll(yaml).filter((doc): doc is Manifest => typeof doc === 'object' && doc !== null);
}

export function findManifest(manifests: Manifest[], kind: string, nameSuffix = ''): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.endsWith(nameSuffix));
  if (!found) throw new Error(`no ${kind} named *${nameSuffix} in the rendered chart`);
  return found;
}

/** Makes sure the CRD exists (idempotent; other test files apply the same file). */
export async function ensureCrd(): Promise<void> {
  const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', generatedCrdFile]);
  if (applied.code !== 0) throw new Error(`applying the CRD failed: ${applied.stderr}`);
  const established = await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    `crd/${crdName}`,
  ]);
  if (established.code !== 0) throw new Error(`the CRD was not established: ${established.stderr}`);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** `kubectl auth can-i` as someone else; true for "yes". */
export async function canI(
  as: { user: string; groups?: string[] },
  verb: string,
  resource: string,
  where: { namespace?: string; allNamespaces?: boolean; subresource?: string } = {},
): Promise<boolean> {
  const args = ['auth', 'can-i', verb, resource, `--as=${as.user}`];
  for (const g of as.groups ?? []) args.push(`--as-group=${g}`);
  if (where.allNamespaces) args.push('--all-namespaces');
  else if (where.namespace) args.push('--namespace', where.namespace);
  if (where.subresource) args.push(`--subresource=${where.subresource}`);
  const result = await kubectl(args);
  const answer = result.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i: ${result.stderr || answer}`);
  return answer === 'yes';
}
