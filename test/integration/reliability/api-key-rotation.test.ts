import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '#allocator/http/index';
import { harness, uniqueName } from '../../harness/context.ts';
import { AllocatorProcess } from '../allocator/allocator-process.ts';

const OLD_KEY = `old-${uniqueName('key')}-Qa1`;
const NEW_KEY = `new-${uniqueName('key')}-Rb2`;
const POLL_MS = 2_000;

const keysYaml = (...keys: Array<[string, string]>) =>
  keys
    .map(([name, key]) => `- { name: ${name}, sha256: ${hashApiKey(key)}, scopes: [request, read] }\n`)
    .join('');

describe('API keys rotated and revoked in the mounted file, without a restart', () => {
  let dir: string;
  let allocator: AllocatorProcess;
  const keysFile = () => path.join(dir, 'keys.yaml');
  /** Writes the file the way a Secret volume changes it: a new file renamed over the old. */
  const replaceKeys = async (text: string) => {
    await writeFile(`${keysFile()}.new`, text);
    await rename(`${keysFile()}.new`, keysFile());
  };
  const status = async (key: string) =>
    (await fetch(`${allocator.url}/v1/groups`, { headers: { 'x-api-key': key } })).status;
  /** How long until `key` answers `expected`, polling every 50 ms, at most 10 s. */
  const until = async (key: string, expected: number) => {
    const started = performance.now();
    while ((await status(key)) !== expected) {
      if (performance.now() - started > 10_000)
        throw new Error(`${key} did not answer ${expected} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return performance.now() - started;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-key-rotation-'));
    await writeFile(keysFile(), keysYaml(['app', OLD_KEY]));
    allocator = await AllocatorProcess.start(
      uniqueName('allocator-key-rotation'),
      ['--api-keys-file', keysFile(), '--api-keys-poll-ms', String(POLL_MS)],
      path.join(harness().workDir, 'logs'),
    );
  });
  afterAll(async () => {
    await allocator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a new key and refuses a revoked one within the poll interval', async () => {
    expect([await status(OLD_KEY), await status(NEW_KEY)]).toEqual([200, 401]);
    await replaceKeys(keysYaml(['app', OLD_KEY], ['app-next', NEW_KEY]));
    const addedMs = await until(NEW_KEY, 200);
    await replaceKeys(keysYaml(['app-next', NEW_KEY]));
    const revokedMs = await until(OLD_KEY, 401);
    console.log(
      `[figure] API key added in ${Math.round(addedMs)} ms, revoked in ${Math.round(revokedMs)} ms`,
    );
    expect(revokedMs).toBeLessThan(POLL_MS + 1_000);
    expect(await status(NEW_KEY)).toBe(200);
  });

  it('keeps the keys in force when the new file is broken or empty', async () => {
    for (const broken of ['- { name: x, sha256: nothex, scopes: [request] }\n', '[]\n', 'keys: [\n']) {
      await replaceKeys(broken);
      await new Promise((r) => setTimeout(r, POLL_MS + 500));
      expect([broken, await status(NEW_KEY)]).toEqual([broken, 200]);
    }
  });
});
