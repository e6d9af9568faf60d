import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeGroupConfig,
  GroupConfigMap,
  resolveGroup,
  type ResolvedGroup,
} from '../../../api/src/index.ts';
import { InputCode, InputError, loadYamlDocuments, readInputFile } from '../../../lib/src/input.ts';
import { errorMessage, type Logger } from '../../../lib/src/index.ts';
import type { GroupRegistry } from './registry.ts';

export interface DirLoadResult {
  /** origin (`file:<path>#<name>`) → group */
  groups: Map<string, ResolvedGroup>;
  problems: string[];
}

interface Doc {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

/**
 * Reads groups from a folder, recursively:
 * - YAML/JSON files with ClickToCallInGroup documents (multi-document YAML allowed); a
 *   `spec.dnisPoolFrom.configMapKeyRef` is looked up among the ConfigMap documents of the folder;
 * - ConfigMap documents labelled `clicktocall.dev/role=group-config` (the operator's output);
 * - folders holding `group.json` (and `pool.csv`): a group ConfigMap mounted as a volume.
 * Hidden entries (`..data` and the like of mounted volumes) are skipped; symlinks are followed.
 */
export async function loadGroupsDir(dir: string): Promise<DirLoadResult> {
  const problems: string[] = [];
  const groups = new Map<string, ResolvedGroup>();
  const docs: Array<{ file: string; doc: Doc }> = [];
  const mounted: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    const names = (await readdir(d)).filter((n) => !n.startsWith('.')).sort();
    if (names.includes(GroupConfigMap.settingsKey)) {
      mounted.push(d);
      return;
    }
    for (const name of names) {
      const full = path.join(d, name);
      const s = await stat(full).catch(() => undefined);
      if (!s) continue;
      if (s.isDirectory()) {
        if (depth < 4) await walk(full, depth + 1);
      } else if (/\.(ya?ml|json)$/i.test(name)) {
        try {
          for (const doc of loadYamlDocuments(await readInputFile(full), full))
            if (doc && typeof doc === 'object') docs.push({ file: full, doc: doc as Doc });
        } catch (err) {
          problems.push(err instanceof InputError ? err.message : `${full}: ${errorMessage(err)}`);
        }
      }
    }
  };
  await walk(dir, 0);

  for (const d of mounted) {
    try {
      const data: Record<string, string> = {};
      for (const key of [GroupConfigMap.settingsKey, GroupConfigMap.poolKey]) {
        const text = await readInputFile(path.join(d, key)).catch((err: unknown) => {
          if (err instanceof InputError && err.code === InputCode.Unreadable) return undefined;
          throw err;
        });
        if (text !== undefined) data[key] = text;
      }
      groups.set(`file:${d}`, decodeGroupConfig(data));
    } catch (err) {
      problems.push(`${d}: ${errorMessage(err)}`);
    }
  }

  const configMaps = new Map<string, Record<string, string>>();
  for (const { doc } of docs) {
    if (doc.kind === 'ConfigMap' && doc.metadata?.name) configMaps.set(doc.metadata.name, doc.data ?? {});
  }
  for (const { file, doc } of docs) {
    const name = doc.metadata?.name ?? '';
    const origin = `file:${file}#${name}`;
    if (
      doc.kind === 'ConfigMap' &&
      doc.metadata?.labels?.[GroupConfigMap.roleLabel] === GroupConfigMap.roleValue
    ) {
      try {
        groups.set(origin, decodeGroupConfig(doc.data ?? {}));
      } catch (err) {
        problems.push(`${file} (ConfigMap ${name}): ${errorMessage(err)}`);
      }
      continue;
    }
    if (doc.kind !== 'ClickToCallInGroup') continue;
    const ref = (
      doc.spec as { dnisPoolFrom?: { configMapKeyRef?: { name?: string; key?: string } } } | undefined
    )?.dnisPoolFrom?.configMapKeyRef;
    const csvText = ref?.name ? configMaps.get(ref.name)?.[ref.key ?? GroupConfigMap.poolKey] : undefined;
    const result = resolveGroup(doc.spec, {
      metadataName: name,
      ...(csvText !== undefined
        ? { csvPool: { text: csvText, source: `${ref?.name}/${ref?.key ?? GroupConfigMap.poolKey}` } }
        : {}),
    });
    if (result.group) groups.set(origin, result.group);
    else
      problems.push(
        `${file} (ClickToCallInGroup ${name}): ${result.errors.map((e) => e.message).join('; ')}`,
      );
  }
  return { groups, problems };
}

/**
 * Keeps the registry in step with a folder: loads it at start, then again when a file changes
 * (fs.watch, with a poll as a safety net, since mounted ConfigMaps change by swapping symlinks).
 */
export class DirSource {
  readonly #dir: string;
  readonly #registry: GroupRegistry;
  readonly #log: Logger;
  readonly #pollMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #lastSignature = '';
  #lastStamp = '';

  constructor(dir: string, registry: GroupRegistry, log: Logger, pollMs = 5_000) {
    this.#dir = path.resolve(dir);
    this.#registry = registry;
    this.#log = log;
    this.#pollMs = pollMs;
  }

  async start(): Promise<void> {
    await this.reload();
    try {
      this.#watcher = watch(this.#dir, { recursive: true }, () => this.#schedule());
      this.#watcher.on('error', () => undefined);
    } catch {
      // Polling alone still works.
    }
    this.#timer = setInterval(() => this.#schedule(), this.#pollMs);
    this.#timer.unref();
  }

  /** Re-reads the folder if any file in it changed (by path, size, modification time and inode). */
  async reload(): Promise<void> {
    const stamp = await folderStamp(this.#dir);
    if (stamp === this.#lastStamp) return;
    this.#lastStamp = stamp;
    const { groups, problems } = await loadGroupsDir(this.#dir);
    for (const p of problems) this.#log.error({ dir: this.#dir }, `group not loaded: ${p}`);
    const signature = JSON.stringify([...groups].sort(([a], [b]) => a.localeCompare(b)));
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    this.#registry.replace(`file:`, groups);
  }

  stop(): void {
    this.#watcher?.close();
    if (this.#timer) clearInterval(this.#timer);
    if (this.#debounce) clearTimeout(this.#debounce);
  }

  #schedule(): void {
    if (this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.reload().catch((err: unknown) =>
        this.#log.error({ err, dir: this.#dir }, 'reloading groups failed'),
      );
    }, 200);
  }
}

/**
 * A cheap fingerprint of the folder: parsing and validating a 10,000-number pool costs hundreds of
 * milliseconds, so the poll only does it when something changed.
 */
async function folderStamp(dir: string, depth = 0): Promise<string> {
  const parts: string[] = [];
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const full = path.join(dir, name);
    const s = await stat(full).catch(() => undefined);
    if (!s) continue;
    if (s.isDirectory()) {
      if (depth < 5) parts.push(`${name}/{${await folderStamp(full, depth + 1)}}`);
    } else {
      parts.push(`${name}:${s.size}:${s.mtimeMs}:${s.ino}`);
    }
  }
  return parts.join(',');
}
