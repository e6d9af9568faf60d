import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../../harness/control-plane.ts';
import { NatsServer } from '../../harness/nats-server.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the harness', () => {
  it('leaves no server process behind when it stops', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'c2c-teardown-'));
    const controlPlane = new ControlPlane(path.join(dir, 'cp'), path.join(dir, 'logs'));
    const nats = new NatsServer(path.join(dir, 'nats'), path.join(dir, 'logs'));
    try {
      const [cp, n] = await Promise.all([controlPlane.start(), nats.start()]);
      const pids = [...cp.pids, n.pid];
      expect(pids).toHaveLength(4);
      expect(pids.every(isAlive)).toBe(true);
      await Promise.all([controlPlane.stop(), nats.stop()]);
      expect(pids.filter(isAlive)).toEqual([]);
    } finally {
      await Promise.allSettled([controlPlane.stop(), nats.stop()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
