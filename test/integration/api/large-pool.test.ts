/**
 * The worst-case group (10,000 numbers of 16 characters with 32-character descriptions) through every
 * way of installing it, against the real apiserver. The sizes printed here are quoted in
 * docs/large-pools.md.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dump } from 'js-yaml';
import { formatDnisCsv } from '#api';
import { helm, kubectl, useNamespace } from '../../harness/context.ts';
import { groupManifest, installCrd, numbers } from './support.ts';

const ns = useNamespace('api-size');
let workDir = '';
beforeAll(async () => {
  await installCrd();
  workDir = await mkdtemp(path.join(tmpdir(), 'c2c-size-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const worstPool = numbers(10_000, 16).map((number, i) => ({
  number,
  description: `Campaign ${String(i).padStart(23, '0')}`,
}));
const sizes: Record<string, number> = {};

async function storedBytes(
  resource: string,
): Promise<{ object: number; managedFields: number; annotations: number }> {
  const got = await kubectl(['get', '-n', ns.name, resource, '-o', 'json', '--show-managed-fields']);
  expect(got.code, got.stderr).toBe(0);
  const object = JSON.parse(got.stdout) as { metadata: { managedFields?: unknown; annotations?: unknown } };
  return {
    object: JSON.stringify(object).length,
    managedFields: JSON.stringify(object.metadata.managedFields ?? []).length,
    annotations: JSON.stringify(object.metadata.annotations ?? {}).length,
  };
}

describe('the worst-case pool (10,000 × 16-character numbers, 32-character descriptions)', () => {
  it('has the intended shape', () => {
    expect(worstPool).toHaveLength(10_000);
    expect(worstPool.every((e) => e.number.length === 16 && e.description.length === 32)).toBe(true);
    sizes.inlineManifestJson = groupManifest('x', { dnisPool: worstPool }).length;
    sizes.csv = formatDnisCsv(worstPool).length;
  });

  it('goes through kubectl create', async () => {
    const result = await kubectl(['create', '-n', ns.name, '-f', '-'], {
      input: groupManifest('by-create', { dnisPool: worstPool }),
    });
    expect(result.stderr).toBe('');
    const stored = await storedBytes('c2cg/by-create');
    sizes.createStoredJson = stored.object;
  });

  it('is refused by client-side kubectl apply: the last-applied annotation would exceed 256 KiB', async () => {
    const result = await kubectl(['apply', '-n', ns.name, '-f', '-'], {
      input: groupManifest('by-client-apply', { dnisPool: worstPool }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /metadata\.annotations: Too long: (may not be more than|must have at most) 262144 bytes/,
    );
  });

  it("is refused by kubectl apply --server-side: the object plus per-number managedFields exceed etcd's request limit", async () => {
    const result = await kubectl(['apply', '--server-side', '-n', ns.name, '-f', '-'], {
      input: groupManifest('by-server-apply', { dnisPool: worstPool }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('etcdserver: request is too large');
  });

  it('half the worst case goes through kubectl apply --server-side, and shows what managedFields cost per number', async () => {
    const half = worstPool.slice(0, 5_000);
    const result = await kubectl(['apply', '--server-side', '-n', ns.name, '-f', '-'], {
      input: groupManifest('half-server-apply', { dnisPool: half }),
    });
    expect(result.code, result.stderr).toBe(0);
    const stored = await storedBytes('c2cg/half-server-apply');
    sizes.halfServerApplyStoredJson = stored.object;
    sizes.halfServerApplyManagedFieldsJson = stored.managedFields;
    sizes.managedFieldsPerNumber = Math.round(stored.managedFields / half.length);
  });

  it('goes through helm install of a chart holding it', async () => {
    const chart = path.join(workDir, 'worst-case');
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: worst-case\nversion: 0.1.0\n');
    const manifest = dump(
      {
        apiVersion: 'clicktocall.dev/v1alpha1',
        kind: 'ClickToCallInGroup',
        metadata: { name: 'by-helm' },
        spec: { dnisPool: worstPool },
      },
      { lineWidth: -1 },
    );
    await writeFile(path.join(chart, 'templates', 'group.yaml'), manifest);
    sizes.helmTemplateYaml = manifest.length;
    const result = await helm(['install', 'worst-case', chart, '--namespace', ns.name, '--wait=false']);
    expect(result.code, result.stderr).toBe(0);
    const stored = await storedBytes('c2cg/by-helm');
    sizes.helmStoredJson = stored.object;
    const secrets = await kubectl([
      'get',
      '-n',
      ns.name,
      'secrets',
      '-l',
      'owner=helm,name=worst-case',
      '-o',
      'json',
    ]);
    const release = JSON.parse(secrets.stdout) as { items: Array<{ data: { release: string } }> };
    sizes.helmReleaseSecretBytes = release.items[0]?.data.release.length ?? 0;
  });

  it('as a ConfigMap CSV (dnisPoolFrom): client-side apply is refused, server-side apply and create go through', async () => {
    const csv = formatDnisCsv(worstPool, { header: true });
    const configMap = (name: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { 'pool.csv': csv } });
    const client = await kubectl(['apply', '-n', ns.name, '-f', '-'], {
      input: configMap('pool-client-apply'),
    });
    expect(client.code).not.toBe(0);
    expect(client.stderr).toMatch(/262144 bytes/);
    const server = await kubectl(['apply', '--server-side', '-n', ns.name, '-f', '-'], {
      input: configMap('pool-server-apply'),
    });
    expect(server.code, server.stderr).toBe(0);
    sizes.configMapServerApplyStoredJson = (await storedBytes('configmap/pool-server-apply')).object;
    const create = await kubectl(['create', '-n', ns.name, '-f', '-'], { input: configMap('pool-create') });
    expect(create.code, create.stderr).toBe(0);
    const group = await kubectl(['apply', '-n', ns.name, '-f', '-'], {
      input: groupManifest('by-configmap', {
        dnisPoolFrom: { configMapKeyRef: { name: 'pool-server-apply', key: 'pool.csv' } },
      }),
    });
    expect(group.code, group.stderr).toBe(0);
  });

  afterAll(() => {
    console.log(`worst-case sizes (bytes): ${JSON.stringify(sizes, null, 2)}`);
  });
});
