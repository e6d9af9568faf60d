import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { NatsServer } from '../../harness/nats-server.ts';
import { harness, uniqueName } from '../../harness/context.ts';
import { AllocatorProcess } from './allocator-process.ts';

/**
 * For the enclosing describe block: a nats-server of its own (so that a test may stop or kill it) and
 * one allocator on it serving the groups of `groupYaml`, both in a fresh temporary folder named after
 * `name`; `args` are extra allocator flags. Stopped, and the folder removed, after the block.
 */
export function useAllocatorWithOwnNats(
  name: string,
  groupYaml: string,
  options: { syncAlways?: boolean; args?: string[] } = {},
): { readonly nats: NatsServer; readonly allocator: AllocatorProcess } {
  let dir: string;
  let nats: NatsServer | undefined;
  let allocator: AllocatorProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `c2c-${name}-`));
    const logDir = path.join(harness().workDir, 'logs');
    nats = new NatsServer(path.join(dir, 'nats'), logDir, {
      name: uniqueName(`${name}-nats`),
      ...(options.syncAlways ? { syncAlways: true } : {}),
    });
    const { url } = await nats.start();
    await writeFile(path.join(dir, 'group.yaml'), groupYaml);
    allocator = await AllocatorProcess.start(
      uniqueName(`allocator-${name}`),
      ['--nats-url', url, '--groups-dir', dir, ...(options.args ?? [])],
      logDir,
    );
  });

  afterAll(async () => {
    await allocator?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  return {
    get nats() {
      if (!nats) throw new Error('useAllocatorWithOwnNats: the nats-server is made in beforeAll');
      return nats;
    },
    get allocator() {
      if (!allocator) throw new Error('useAllocatorWithOwnNats: the allocator is started in beforeAll');
      return allocator;
    },
  };
}
