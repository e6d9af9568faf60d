import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TestNode } from './node.ts';

/**
 * One test node for the whole `node` project. Its logs (every server, containerd, the kubelet, the
 * pods' logs) are copied to `.test-logs/` when a test failed (or always with C2C_KEEP_LOGS=1).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'c2c-node-'));
  const node = new TestNode(workDir);
  const teardown = async () => {
    const started = Date.now();
    await node.stop({ keepWorkDir: true });
    console.log(`node: removed in ${Date.now() - started} ms`);
    const failed = project.vitest.state.getCountOfFailedTests() > 0;
    if (failed || process.env.C2C_KEEP_LOGS === '1') {
      const keep = path.resolve('.test-logs', `node-${new Date().toISOString().replaceAll(':', '-')}`);
      await cp(path.join(workDir, 'logs'), keep, { recursive: true });
      await cp(path.join(workDir, 'fs', '_var_log_pods'), path.join(keep, 'pods'), { recursive: true }).catch(
        () => undefined,
      );
      console.error(`node: logs kept in ${keep}`);
    }
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    const info = await node.start();
    project.provide('node', info);
    const steps = Object.entries(info.steps)
      .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
      .join(', ');
    console.log(`node: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${steps})`);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
