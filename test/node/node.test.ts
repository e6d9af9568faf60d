/** The test node itself: what it runs, and that the host sees none of it but the relays on loopback. */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { kubectl, must } from './context.ts';
import { NODE, PRIVATE_PATHS } from './topology.ts';

describe('the test node', () => {
  it('is one Ready node of the pinned Kubernetes version on containerd', async () => {
    const node = JSON.parse(await must(kubectl(['get', 'node', NODE.name, '-o', 'json']))) as {
      status: {
        nodeInfo: { kubeletVersion: string; kubeProxyVersion?: string; containerRuntimeVersion: string };
        addresses: Array<{ type: string; address: string }>;
      };
    };
    expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: NODE.ip });
    const version = JSON.parse(await must(kubectl(['version', '-o', 'json']))) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(node.status.nodeInfo.kubeletVersion);
    expect(version.clientVersion.gitVersion).toBe(node.status.nodeInfo.kubeletVersion);
  });

  it('keeps its mounts and interfaces off the host', async () => {
    const mountPoints = (await readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((mountPoint): mountPoint is string => Boolean(mountPoint));
    // /run/netns is the host's own: `ip netns` keeps the node's namespace there.
    for (const path of PRIVATE_PATHS.filter((p) => p !== '/run/netns')) {
      expect(mountPoints.filter((m) => m === path || m.startsWith(`${path}/`))).toEqual([]);
    }
    const hostInterfaces = Object.keys(networkInterfaces());
    expect(hostInterfaces).not.toContain('cni0');
    expect(hostInterfaces).not.toContain(NODE.interface);
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .map((address) => address?.address);
    expect(hostAddresses).not.toContain(NODE.ip);
  });
});
