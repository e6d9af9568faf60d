import { describe, expect, it } from 'vitest';
import { GroupConfigMap, decodeGroupConfig, type ResolvedGroup } from '#api';
import { MAX_CONFIG_MAP_BYTES, contentHash, dataBytes, isUpToDate, renderConfigMap } from './config-map.ts';

const owner = {
  apiVersion: 'clicktocall.dev/v1alpha1',
  kind: 'ClickToCallInGroup',
  name: 'claims',
  namespace: 'cc',
  uid: 'uid-1',
};
const group: ResolvedGroup = {
  groupName: 'auto_insurance',
  accessCode: { generate: true, length: 6 },
  expirySeconds: 30,
  uniqueDnis: false,
  coolDownSeconds: 0,
  selection: { strategy: 'random', stickySeconds: 0 },
  dnisPool: [{ number: '+18005555554', description: 'Claims' }, { number: '+18005555555' }],
};

function worstCase(): ResolvedGroup {
  const dnisPool = Array.from({ length: 10_000 }, (_, i) => ({
    number: `+${String(100_000_000_000_000 + i)}`,
    description: `"quoted, ${String(i).padStart(5, '0')}" description ..`.slice(0, 32),
  }));
  return { ...group, dnisPool };
}

describe('renderConfigMap', () => {
  it('names, labels and annotates the ConfigMap by the contract and makes the group its controller', () => {
    const cm = renderConfigMap(group, owner);
    expect(cm.metadata.name).toBe('claims-click-to-call-in');
    expect(cm.metadata.namespace).toBe('cc');
    expect(cm.metadata.labels[GroupConfigMap.roleLabel]).toBe(GroupConfigMap.roleValue);
    expect(cm.metadata.annotations[GroupConfigMap.groupNameAnnotation]).toBe('auto_insurance');
    expect(cm.metadata.annotations[GroupConfigMap.contentHashAnnotation]).toBe(contentHash(cm.data));
    expect(cm.metadata.ownerReferences).toEqual([
      {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        name: 'claims',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('holds the group so that the allocator reads back exactly what was rendered', () => {
    expect(decodeGroupConfig(renderConfigMap(group, owner).data)).toEqual(group);
  });

  it('renders the same hash for the same group and a different one for any change', () => {
    const a = renderConfigMap(group, owner).metadata.annotations[GroupConfigMap.contentHashAnnotation];
    const b = renderConfigMap({ ...group }, owner).metadata.annotations[GroupConfigMap.contentHashAnnotation];
    const c = renderConfigMap({ ...group, expirySeconds: 31 }, owner).metadata.annotations[
      GroupConfigMap.contentHashAnnotation
    ];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('renders the pool policies into group.json, so that a change of them changes the hash', () => {
    const hash = (g: ResolvedGroup) =>
      renderConfigMap(g, owner).metadata.annotations[GroupConfigMap.contentHashAnnotation];
    const policies: ResolvedGroup = {
      ...group,
      coolDownSeconds: 45,
      selection: { strategy: 'roundRobin', stickySeconds: 600 },
    };
    expect(JSON.parse(renderConfigMap(policies, owner).data[GroupConfigMap.settingsKey] ?? '')).toMatchObject(
      {
        coolDownSeconds: 45,
        selection: { strategy: 'roundRobin', stickySeconds: 600 },
      },
    );
    expect(decodeGroupConfig(renderConfigMap(policies, owner).data)).toEqual(policies);
    const hashes = new Set([
      hash(group),
      hash(policies),
      hash({ ...policies, coolDownSeconds: 46 }),
      hash({ ...policies, selection: { strategy: 'leastRecentlyUsed', stickySeconds: 600 } }),
      hash({ ...policies, selection: { strategy: 'roundRobin', stickySeconds: 601 } }),
    ]);
    expect(hashes.size).toBe(5);
  });

  it('fits the worst-case 10,000-number group into a ConfigMap with room to spare', () => {
    const cm = renderConfigMap(worstCase(), owner);
    expect(dataBytes(cm.data)).toBeLessThan(0.75 * MAX_CONFIG_MAP_BYTES);
    expect(cm.data[GroupConfigMap.poolKey]?.split('\n').filter(Boolean)).toHaveLength(10_000);
  });
});

describe('isUpToDate', () => {
  const desired = renderConfigMap(group, owner);

  it('accepts the rendered ConfigMap with extra labels and annotations from others', () => {
    const existing = {
      metadata: {
        ...desired.metadata,
        labels: { ...desired.metadata.labels, team: 'x' },
        annotations: { ...desired.metadata.annotations, note: 'y' },
      },
      data: { ...desired.data },
    };
    expect(isUpToDate(existing, desired)).toBe(true);
  });

  it('rejects edited data, a missing label, and another controller', () => {
    expect(
      isUpToDate(
        { ...desired, data: { ...desired.data, [GroupConfigMap.poolKey]: '+18005555555,\n' } },
        desired,
      ),
    ).toBe(false);
    expect(isUpToDate({ ...desired, metadata: { ...desired.metadata, labels: {} } }, desired)).toBe(false);
    expect(
      isUpToDate(
        {
          ...desired,
          metadata: { ...desired.metadata, ownerReferences: [{ uid: 'other', controller: true }] },
        },
        desired,
      ),
    ).toBe(false);
  });
});
