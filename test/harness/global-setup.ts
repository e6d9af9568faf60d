import { mkdtemp, rm, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ControlPlane } from './control-plane.ts';
import { NatsServer } from './nats-server.ts';
import type { HarnessInfo } from './context.ts';

/**
 * One control plane and one nats-server for the whole integration run. Server logs are copied to
 * `.test-logs/` when a test failed (or always with C2C_KEEP_LOGS=1).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'c2c-harness-'));
  const logDir = path.join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const controlPlane = new ControlPlane(path.join(workDir, 'control-plane'), logDir);
  const nats = new NatsServer(path.join(workDir, 'nats'), logDir);
  const teardown = async () => {
    await Promise.allSettled([nats.stop(), controlPlane.stop()]);
    const failed = project.vitest.state.getCountOfFailedTests() > 0;
    if (failed || process.env.C2C_KEEP_LOGS === '1') {
      const keep = path.resolve('.test-logs', new Date().toISOString().replaceAll(':', '-'));
      await cp(logDir, keep, { recursive: true });
      console.error(`harness: server logs kept in ${keep}`);
    }
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    const [cp, natsInfo] = await Promise.all([controlPlane.start(), nats.start()]);
    const info: HarnessInfo = {
      kubeconfigPath: cp.kubeconfigPath,
      apiServer: cp.server,
      webhookClientCaPem: cp.webhookClientCaPem,
      natsUrl: natsInfo.url,
      natsMonitorUrl: natsInfo.monitorUrl,
      workDir,
      serverPids: [...cp.pids, natsInfo.pid],
    };
    project.provide('harness', info);
    console.log(
      `harness: control plane ${cp.server} and NATS ${natsInfo.url} ready in ${Date.now() - started} ms`,
    );
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
