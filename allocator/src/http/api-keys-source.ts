import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadYamlDocuments, readInputFile } from '#lib/input';
import { errorMessage, type Logger } from '#lib';
import { parseApiKeys, type ApiKeyAuthenticator, type ApiKeyConfig } from './auth.ts';

export async function readApiKeysFile(file: string): Promise<ApiKeyConfig[]> {
  try {
    return parseApiKeys(loadYamlDocuments(await readInputFile(file), file)[0]);
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Keeps the authenticator in step with the API keys file, so that a key can be rotated or revoked
 * without a restart. A mounted Secret changes by swapping a symlink, so the file's folder is watched
 * and the file is also checked every `pollMs`. A file that cannot be read or parsed keeps the keys
 * in force and is logged.
 */
export class ApiKeysSource {
  readonly #file: string;
  readonly #auth: ApiKeyAuthenticator;
  readonly #log: Logger;
  readonly #pollMs: number;
  #stamp = '';
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(file: string, auth: ApiKeyAuthenticator, log: Logger, pollMs: number) {
    this.#file = file;
    this.#auth = auth;
    this.#log = log;
    this.#pollMs = pollMs;
  }

  async start(): Promise<void> {
    this.#stamp = await stampOf(this.#file);
    try {
      this.#watcher = watch(path.dirname(this.#file), () => void this.check());
      this.#watcher.on('error', () => undefined);
    } catch {
      // The poll alone still works.
    }
    this.#timer = setInterval(() => void this.check(), this.#pollMs);
    this.#timer.unref();
  }

  /** Reloads the keys if the file changed. */
  check(): Promise<void> {
    this.#checking ??= this.#reloadIfChanged().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  stop(): void {
    this.#watcher?.close();
    if (this.#timer) clearInterval(this.#timer);
  }

  async #reloadIfChanged(): Promise<void> {
    const stamp = await stampOf(this.#file);
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    try {
      const keys = await readApiKeysFile(this.#file);
      this.#auth.replace(keys);
      this.#log.info({ keys: keys.map((k) => k.name) }, 'API keys reloaded');
    } catch (err) {
      this.#log.error(
        { file: this.#file },
        `API keys not reloaded, the previous ones stay in force: ${errorMessage(err)}`,
      );
    }
  }
}

async function stampOf(file: string): Promise<string> {
  const s = await stat(file).catch(() => undefined);
  return s ? `${s.size}:${s.mtimeMs}:${s.ino}` : 'missing';
}
