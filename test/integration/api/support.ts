import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl } from '../../harness/context.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const crdFile = path.join(repoRoot, 'crds/clicktocall.dev_clicktocallingroups.yaml');

/** Installs the group CRD (idempotent; other test files may install it too) and waits until it is served. */
export async function installCrd(): Promise<void> {
  const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', crdFile]);
  if (applied.code !== 0) throw new Error(`installing the CRD failed: ${applied.stderr}`);
  const established = await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/clicktocallingroups.clicktocall.dev',
  ]);
  if (established.code !== 0) throw new Error(`the CRD was not established: ${established.stderr}`);
}

export interface PoolEntry {
  number: string;
  description?: string;
}

/** A group manifest as JSON (kubectl reads JSON as YAML). */
export function groupManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'clicktocall.dev/v1alpha1',
    kind: 'ClickToCallInGroup',
    metadata: { name },
    spec,
  });
}

/** `count` distinct numbers of exactly `chars` characters (`+` and digits), all matching the CRD pattern. */
export function numbers(count: number, chars = 12): string[] {
  const digits = chars - 1;
  return Array.from({ length: count }, (_, i) => `+1${String(i).padStart(digits - 1, '0')}`);
}
