import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, helm, kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import { canI, chartDir, ensureCrd, isolatedWebhook, runHelm } from './chart.ts';

const ns = useNamespace('chart-rbac');
const other = useNamespace('chart-rbac-other');
const release = uniqueName('c2c');
const fullname = `${release}-click-to-call-in`;
const groups = 'clicktocallingroups.clicktocall.dev';

const administrator = { user: uniqueName('administrator') };
const supervisor = { user: uniqueName('supervisor') };
const stranger = { user: uniqueName('stranger') };
const operatorAccount = () => ({ user: `system:serviceaccount:${ns.name}:${fullname}-operator` });
const allocatorAccount = () => ({ user: `system:serviceaccount:${ns.name}:${fullname}-allocator` });

/** The rules a built-in ClusterRole has gathered, as "resource:verb" strings for our API group. */
async function aggregatedRules(role: string): Promise<string[]> {
  const got = await kubectl(['get', 'clusterrole', role, '-o', 'json']);
  const rules =
    (
      JSON.parse(got.stdout) as {
        rules?: Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[] }>;
      }
    ).rules ?? [];
  return rules
    .filter((r) => r.apiGroups?.includes('clicktocall.dev'))
    .flatMap((r) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${res}:${v}`)));
}

beforeAll(async () => {
  await ensureCrd();
  // The CRD is managed outside this release here; the lifecycle file covers a release that owns it.
  const installed = await runHelm(['install', release, chartDir, '--namespace', ns.name], {
    crds: { install: false, keep: true },
    webhook: isolatedWebhook(ns.name),
  });
  expect(installed.code, installed.stderr).toBe(0);
  // People get the built-in roles in the group namespace, the way a cluster grants them.
  for (const [person, role] of [
    [administrator, 'edit'],
    [supervisor, 'view'],
  ] as const) {
    const bound = await kubectl([
      'create',
      'rolebinding',
      uniqueName(role),
      `--clusterrole=${role}`,
      `--user=${person.user}`,
      '--namespace',
      ns.name,
    ]);
    expect(bound.code, bound.stderr).toBe(0);
  }
  // The clusterrole-aggregation controller folds the chart's roles into admin, edit and view.
  for (const role of ['admin', 'edit', 'view']) {
    await eventually(`the ${role} role to gather the group rules`, async () =>
      (await aggregatedRules(role)).includes('clicktocallingroups:list'),
    );
  }
});

afterAll(async () => {
  await helm(['uninstall', release, '--namespace', ns.name, '--ignore-not-found']);
});

describe('roles for people, aggregated into the built-in roles', () => {
  it('lets admin and edit write groups, and view only read them', async () => {
    expect(await aggregatedRules('admin')).toEqual(
      expect.arrayContaining(['clicktocallingroups:create', 'clicktocallingroups:delete']),
    );
    expect(await aggregatedRules('edit')).toEqual(
      expect.arrayContaining([
        'clicktocallingroups:create',
        'clicktocallingroups:update',
        'clicktocallingroups:patch',
      ]),
    );
    const view = await aggregatedRules('view');
    expect(view).toEqual(
      expect.arrayContaining([
        'clicktocallingroups:get',
        'clicktocallingroups:list',
        'clicktocallingroups:watch',
      ]),
    );
    expect(view.filter((r) => !/:(get|list|watch)$/.test(r))).toEqual([]);
  });

  it('lets a user with view list groups but not create them', async () => {
    expect(await canI(supervisor, 'list', groups, { namespace: ns.name })).toBe(true);
    expect(await canI(supervisor, 'get', groups, { namespace: ns.name })).toBe(true);
    expect(await canI(supervisor, 'create', groups, { namespace: ns.name })).toBe(false);
    expect(await canI(supervisor, 'patch', groups, { namespace: ns.name })).toBe(false);
    expect(await canI(supervisor, 'delete', groups, { namespace: ns.name })).toBe(false);
  });

  it('lets a user with edit create, change and delete groups, in that namespace only', async () => {
    for (const verb of ['create', 'update', 'patch', 'delete', 'list']) {
      expect(await canI(administrator, verb, groups, { namespace: ns.name }), verb).toBe(true);
    }
    expect(await canI(administrator, 'create', groups, { namespace: other.name })).toBe(false);
    // Status belongs to the operator.
    expect(await canI(administrator, 'update', groups, { namespace: ns.name, subresource: 'status' })).toBe(
      false,
    );
  });

  it('gives nothing to a user without a role', async () => {
    expect(await canI(stranger, 'list', groups, { namespace: ns.name })).toBe(false);
  });
});

describe("the operator's ServiceAccount", () => {
  it('can do what the operator does', async () => {
    const sa = operatorAccount();
    for (const verb of ['get', 'list', 'watch'])
      expect(await canI(sa, verb, groups, { allNamespaces: true }), verb).toBe(true);
    expect(await canI(sa, 'patch', groups, { namespace: other.name, subresource: 'status' })).toBe(true);
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
      expect(await canI(sa, verb, 'configmaps', { namespace: other.name }), `configmaps ${verb}`).toBe(true);
    }
    expect(await canI(sa, 'create', 'events', { namespace: other.name })).toBe(true);
    expect(await canI(sa, 'create', 'leases.coordination.k8s.io', { namespace: ns.name })).toBe(true);
    expect(
      await canI(sa, 'update', `leases.coordination.k8s.io/${fullname}-operator`, { namespace: ns.name }),
    ).toBe(true);
    // The self-managed webhook certificate: its own Secret, and the CA in its own webhook configuration.
    for (const verb of ['get', 'update']) {
      expect(await canI(sa, verb, `secrets/${fullname}-webhook-tls`, { namespace: ns.name }), verb).toBe(
        true,
      );
      const webhook = `validatingwebhookconfigurations.admissionregistration.k8s.io/${ns.name}-${fullname}`;
      expect(await canI(sa, verb, webhook), verb).toBe(true);
    }
    expect(await canI(sa, 'create', 'secrets', { namespace: ns.name })).toBe(true);
  });

  it('cannot read Secrets it does not need, nor change what is not its own', async () => {
    const sa = operatorAccount();
    expect(await canI(sa, 'get', 'secrets', { namespace: other.name })).toBe(false);
    expect(await canI(sa, 'list', 'secrets', { namespace: ns.name })).toBe(false);
    expect(await canI(sa, 'get', 'secrets/some-other-secret', { namespace: ns.name })).toBe(false);
    expect(await canI(sa, 'update', groups, { namespace: other.name })).toBe(false);
    expect(await canI(sa, 'delete', groups, { namespace: other.name })).toBe(false);
    expect(
      await canI(sa, 'update', 'leases.coordination.k8s.io/kube-scheduler', { namespace: ns.name }),
    ).toBe(false);
    expect(await canI(sa, 'create', 'leases.coordination.k8s.io', { namespace: other.name })).toBe(false);
    expect(
      await canI(sa, 'update', 'validatingwebhookconfigurations.admissionregistration.k8s.io/someone-elses'),
    ).toBe(false);
    expect(await canI(sa, 'create', 'pods', { namespace: ns.name })).toBe(false);
  });
});

describe("the allocator's ServiceAccount", () => {
  it('can read group ConfigMaps and nothing more', async () => {
    const sa = allocatorAccount();
    for (const verb of ['get', 'list', 'watch'])
      expect(await canI(sa, verb, 'configmaps', { allNamespaces: true }), verb).toBe(true);
    expect(await canI(sa, 'create', 'configmaps', { namespace: other.name })).toBe(false);
    expect(await canI(sa, 'update', 'configmaps', { namespace: other.name })).toBe(false);
    expect(await canI(sa, 'get', 'secrets', { namespace: ns.name })).toBe(false);
    expect(await canI(sa, 'list', groups, { namespace: other.name })).toBe(false);
  });
});
