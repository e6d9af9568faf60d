import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventually, kubeConfig, kubectl, useNamespace } from '../../harness/context.ts';

const ns = useNamespace('harness');

describe('the harness control plane', () => {
  it('lets kubectl apply a ConfigMap that client-node then reads back', async () => {
    const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
  namespace: ${ns.name}
data:
  hello: world
`;
    const applied = await kubectl(['apply', '-f', '-'], { input: manifest });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('configmap/greeting created');

    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: 'greeting', namespace: ns.name });
    expect(cm.data).toEqual({ hello: 'world' });
  });

  it('establishes a CustomResourceDefinition and round-trips a custom object', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'probes.harness.clicktocall.dev' },
      spec: {
        group: 'harness.clicktocall.dev',
        scope: 'Namespaced',
        names: { plural: 'probes', singular: 'probe', kind: 'Probe', listKind: 'ProbeList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1 } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const created = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) });
    expect(created.code, created.stderr).toBe(0);
    const established = await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/probes.harness.clicktocall.dev',
    ]);
    expect(established.code, established.stderr).toBe(0);

    const objects = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const coordinates = {
      group: 'harness.clicktocall.dev',
      version: 'v1',
      namespace: ns.name,
      plural: 'probes',
    };
    await eventually('the Probe resource to be served', async () =>
      objects
        .createNamespacedCustomObject({
          ...coordinates,
          body: {
            apiVersion: 'harness.clicktocall.dev/v1',
            kind: 'Probe',
            metadata: { name: 'p1' },
            spec: { size: 3 },
          },
        })
        .then(() => true),
    );
    const read = (await objects.getNamespacedCustomObject({ ...coordinates, name: 'p1' })) as {
      spec: unknown;
    };
    expect(read.spec).toEqual({ size: 3 });

    const invalid = await kubectl(['create', '-n', ns.name, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'harness.clicktocall.dev/v1',
        kind: 'Probe',
        metadata: { name: 'p2' },
        spec: { size: 0 },
      }),
    });
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('spec.size');
  });

  it('garbage-collects an object whose owner is deleted', async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const owner = await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
    await eventually(
      'the dependent ConfigMap to be garbage-collected',
      async () =>
        core
          .readNamespacedConfigMap({ name: 'dependent', namespace: ns.name })
          .then(() => false)
          .catch((err: unknown) => (err as { code?: number }).code === 404),
      60_000,
      250,
    );
  });
});
