import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeGroupConfig, GroupConfigMap, resolveGroup, type ResolvedGroup } from '#api';
import { InputCode, InputError, loadYamlDocuments, readInputFile } from '#lib/input';
import { walkGroupFolders } from '#lib/folder-walk';
import { errorMessage, type Logger } from '#lib';
import type { GroupProblem, GroupRegistry } from './registry.ts';

/** A file or group that could not be loaded; `origin` when it is one group's. */
export interface DirProblem {
  file: string;
  origin?: string;
  message: string;
}

export interface DirLoadResult {
  /** origin (`file:<path>#<name>`) → group */
  groups: Map<string, ResolvedGroup>;
  problems: DirProblem[];
}

interface Doc {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

/**
 * Reads groups from a folder, walked like `c2c validate` walks one (lib/src/folder-walk.ts):
 * - YAML/JSON files with ClickToCallInGroup documents (multi-document YAML allowed); a
 *   `spec.dnisPoolFrom.configMapKeyRef` is looked up among the ConfigMap documents of the folder;
 * - ConfigMap documents labelled `clicktocall.dev/role=group-config` (the operator's output);
 * - folders holding `group.json` (and `pool.csv`): a group ConfigMap mounted as a volume.
 * Every file goes through the input limits (lib/src/input.ts).
 */
export async function loadGroupsDir(dir: string): Promise<DirLoadResult> {
  const groups = new Map<string, ResolvedGroup>();
  const docs: Array<{ file: string; doc: Doc }> = [];
  const walk = await walkGroupFolders([dir], GroupConfigMap.settingsKey);
  const problems: DirProblem[] = walk.problems.map((p) => ({
    file: p.path,
    message: `${p.path}: ${p.message}`,
  }));
  for (const full of walk.files) {
    try {
      for (const doc of loadYamlDocuments(await readInputFile(full), full))
        if (doc && typeof doc === 'object') docs.push({ file: full, doc: doc as Doc });
    } catch (err) {
      problems.push({
        file: full,
        message: err instanceof InputError ? err.message : `${full}: ${errorMessage(err)}`,
      });
    }
  }

  for (const d of walk.marked) {
    const origin = `file:${d}`;
    try {
      const data: Record<string, string> = {};
      for (const key of [GroupConfigMap.settingsKey, GroupConfigMap.poolKey]) {
        const text = await readInputFile(path.join(d, key)).catch((err: unknown) => {
          if (err instanceof InputError && err.code === InputCode.Unreadable) return undefined;
          throw err;
        });
        if (text !== undefined) data[key] = text;
      }
      groups.set(origin, decodeGroupConfig(data));
    } catch (err) {
      problems.push({ file: d, origin, message: `${d}: ${errorMessage(err)}` });
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
        problems.push({ file, origin, message: `${file} (ConfigMap ${name}): ${errorMessage(err)}` });
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
      problems.push({
        file,
        origin,
        message: `${file} (ClickToCallInGroup ${name}): ${result.errors.map((e) => e.message).join('; ')}`,
      });
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
  /** The groups last loaded valid, by origin: served on while a later edit of them is invalid. */
  #lastGood = new Map<string, ResolvedGroup>();
  readonly #invalidSince = new Map<string, number>();
  readonly #now: () => number;

  constructor(
    dir: string,
    registry: GroupRegistry,
    log: Logger,
    pollMs = 5_000,
    now: () => number = Date.now,
  ) {
    this.#dir = path.resolve(dir);
    this.#registry = registry;
    this.#log = log;
    this.#pollMs = pollMs;
    this.#now = now;
  }

  /** Loads the folder; refuses a folder that does not exist (a typo would serve no groups). */
  async start(): Promise<void> {
    const info = await stat(this.#dir).catch(() => undefined);
    if (!info?.isDirectory())
      throw new Error(`--groups-dir ${this.#dir}: ${info ? 'is not a folder' : 'no such folder'}`);
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

  /**
   * Re-reads the folder if any file in it changed (by path, size, modification time and inode). A
   * group that was valid and whose file or definition is now invalid is served on as it last was,
   * and said so (log, `GET /v1/groups`, metric) until it is fixed or removed.
   */
  async reload(): Promise<void> {
    const stamp = await folderStamp(this.#dir);
    if (stamp === this.#lastStamp) return;
    this.#lastStamp = stamp;
    const { groups, problems } = await loadGroupsDir(this.#dir);
    const now = this.#now();
    const served = new Map(groups);
    const invalid = new Map<string, GroupProblem>();
    for (const [origin, previous] of this.#lastGood) {
      if (served.has(origin)) continue;
      const problem =
        problems.find((p) => p.origin === origin) ??
        problems.find((p) => p.origin === undefined && origin.startsWith(`file:${p.file}#`));
      if (!problem) continue; // removed, not broken
      const sinceMs = this.#invalidSince.get(origin) ?? now;
      served.set(origin, previous);
      invalid.set(origin, { message: problem.message, sinceMs });
      this.#log.error(
        { dir: this.#dir, group: previous.groupName, since: new Date(sinceMs).toISOString() },
        `serving the last valid version of group ${JSON.stringify(previous.groupName)}: ${problem.message}`,
      );
    }
    const kept = new Set(invalid.keys());
    for (const p of problems) {
      if (p.origin === undefined || !kept.has(p.origin))
        this.#log.error({ dir: this.#dir }, `group not loaded: ${p.message}`);
    }
    this.#lastGood = served;
    this.#invalidSince.clear();
    for (const [origin, p] of invalid) this.#invalidSince.set(origin, p.sinceMs);
    const signature = JSON.stringify([[...served].sort(([a], [b]) => a.localeCompare(b)), [...invalid]]);
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    this.#registry.replace(`file:`, served, invalid);
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
 * milliseconds, so the poll only does it when something changed. Walked as the load walks it.
 */
async function folderStamp(dir: string): Promise<string> {
  const walk = await walkGroupFolders([dir], GroupConfigMap.settingsKey);
  const files = [
    ...walk.files,
    ...walk.marked.flatMap((d) =>
      [GroupConfigMap.settingsKey, GroupConfigMap.poolKey].map((k) => path.join(d, k)),
    ),
  ];
  const parts = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f).catch(() => undefined);
      return s ? `${f}:${s.size}:${s.mtimeMs}:${s.ino}` : `${f}:-`;
    }),
  );
  return [...parts, ...walk.problems.map((p) => `${p.path}!`)].join(',');
}
