/** `c2c import` (CSV → group YAML, or into an existing file) and `c2c export` (group → CSV). */
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dump } from 'js-yaml';
import {
  GROUP_API,
  formatDnisCsv,
  parseDnisCsv,
  poolEntryOf,
  resolveGroup,
  type ClickToCallInGroupSpec,
  type CsvEntry,
  type DnisEntry,
} from '../index.ts';
import { CLIENT_APPLY_SAFE_BYTES } from '../validate.ts';
import { InputError, readInputFile } from '#lib/input';
import {
  isConfigMap,
  isGroup,
  isObject,
  nameOf,
  namespaceOf,
  parseYaml,
  poolSourceOf,
  type KubeObject,
  type YamlDocument,
} from './documents.ts';
import { CommandError, UsageError, printIssues, type Io } from './output.ts';

export const importHelp = `Usage: c2c import <pool.csv> --group <name> [options]

Reads a DNIS pool CSV (one "number,description" line per number; the description may be empty
but the comma stays; a header row, a UTF-8 BOM, CRLF, blank lines and quoted descriptions are
fine; an optional third column "reserved" holds true, false or nothing: a reserved number is
handed out only to a request that asks for it) and writes a ClickToCallInGroup. Every rule is checked first; when anything is wrong,
each problem is printed with its line and nothing is written.

Small pools are written inline (spec.dnisPool). Pools too big for client-side kubectl apply
(over ~200 KiB) are written as a ConfigMap holding the CSV plus a group that points at it
(spec.dnisPoolFrom); see docs/large-pools.md.

Options:
  --group <name>              group name (spec.groupName), e.g. auto_insurance (required without --into)
  --name <name>               metadata.name (default: the group name in lower case, _ → -)
  --namespace <ns>            metadata.namespace
  --access-code-length <N>    access-code digits, 4-12 (default 6)
  --no-access-code            do not generate access codes
  --expiry <S>                request expiry in seconds, 10-1800 (default 30)
  --unique-dnis               never hand one number to two live requests
  --inline | --configmap      force the pool inline, or into a ConfigMap + group pair
  --into <file>               replace the pool of the group in this YAML file (the file is rewritten;
                              YAML comments are not kept). Use --group to pick one of several groups.
  -o, --out <file>            write to this file instead of standard output
  -h, --help                  show this help
`;

export const exportHelp = `Usage: c2c export <group.yaml> [--group <name>] [--header] [-o <file>]

Writes the DNIS pool of a ClickToCallInGroup as CSV ("number,description" lines, numbers in
+E.164 form; when any number is reserved, a third column "reserved" with true or nothing on
every line, so that c2c import reads the same pool back). A pool held in a ConfigMap (spec.dnisPoolFrom) is included when that ConfigMap is in
the same file.

Options:
  --group <name>   pick the group by groupName or metadata.name when the file holds several
  --header         start with a header row ("number,description", and ",reserved" when written)
  -o, --out <file> write to this file instead of standard output
  -h, --help       show this help
`;

export interface ImportOptions {
  group?: string;
  name?: string;
  namespace?: string;
  accessCodeLength?: number;
  noAccessCode?: boolean;
  expiry?: number;
  uniqueDnis?: boolean;
  layout?: 'inline' | 'configmap';
  into?: string;
  out?: string;
}

/** A Kubernetes object name from a free-text group name: `auto_insurance` → `auto-insurance`. */
export function kubeNameFor(groupName: string): string {
  const name = groupName
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/-+/g, '-')
    .replaceAll(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
  return name === '' ? 'group' : name;
}

function toPool(entries: CsvEntry[]): DnisEntry[] {
  return entries.map(poolEntryOf);
}

const yamlOptions = { lineWidth: -1, noRefs: true } as const;
const toYaml = (docs: unknown[]): string => docs.map((d) => dump(d, yamlOptions)).join('---\n');

async function writeOut(io: Io, file: string | undefined, text: string): Promise<void> {
  if (file === undefined) {
    io.stdout(text);
    return;
  }
  const folder = path.dirname(path.resolve(file));
  const [target, parent] = await Promise.all([
    stat(file).catch(() => undefined),
    stat(folder).catch(() => undefined),
  ]);
  if (target?.isDirectory()) throw new CommandError(`cannot write ${file}: it is a folder; give a file name`);
  if (!parent?.isDirectory()) throw new CommandError(`cannot write ${file}: folder ${folder} does not exist`);
  // Written beside the target and renamed over it, so a reader never sees half a file.
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new CommandError(`cannot write ${file}: ${(err as { code?: string }).code ?? String(err)}`);
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readInputFile(file);
  } catch (err) {
    if (err instanceof InputError) throw new CommandError(`${what} ${err.message}`);
    throw err;
  }
}

function settingsFrom(options: ImportOptions, base: ClickToCallInGroupSpec = {}): ClickToCallInGroupSpec {
  const spec: ClickToCallInGroupSpec = { ...base };
  if (options.group !== undefined) spec.groupName = options.group;
  if (options.noAccessCode || options.accessCodeLength !== undefined) {
    spec.accessCode = {
      ...spec.accessCode,
      ...(options.noAccessCode ? { generate: false } : { generate: true }),
      ...(options.accessCodeLength !== undefined ? { length: options.accessCodeLength } : {}),
    };
  }
  if (options.expiry !== undefined) spec.expirySeconds = options.expiry;
  if (options.uniqueDnis) spec.uniqueDnis = true;
  return spec;
}

/** Checks the finished group with every rule; throws (after printing the issues) when anything is wrong. */
function check(
  io: Io,
  spec: ClickToCallInGroupSpec,
  metadataName: string,
  csv?: { text: string; source: string },
): void {
  const result = resolveGroup(spec, { metadataName, ...(csv ? { csvPool: csv } : {}) });
  printIssues(
    io,
    '',
    result.errors,
    result.warnings.filter((w) => w.rule !== 'POOL_TOO_BIG_FOR_CLIENT_APPLY'),
  );
  if (result.errors.length > 0)
    throw new CommandError(
      `the group is not valid (${result.errors.length} error${result.errors.length === 1 ? '' : 's'}); nothing was written`,
    );
}

export async function runImport(csvFile: string, options: ImportOptions, io: Io): Promise<number> {
  const text = await readText(csvFile, 'CSV file');
  const parsed = parseDnisCsv(text, { source: csvFile });
  if (parsed.errors.length > 0) {
    printIssues(io, '', parsed.errors);
    throw new CommandError(
      `${csvFile} has ${parsed.errors.length} error${parsed.errors.length === 1 ? '' : 's'}; nothing was written`,
    );
  }
  if (parsed.entries.length === 0) throw new CommandError(`${csvFile} holds no numbers; nothing was written`);
  const pool = toPool(parsed.entries);
  if (options.into !== undefined) return importInto(options.into, pool, options, io);
  if (options.group === undefined)
    throw new UsageError('--group <name> is required (or --into <file> to update an existing group)');

  const name = options.name ?? kubeNameFor(options.group);
  const metadata = { name, ...(options.namespace ? { namespace: options.namespace } : {}) };
  const inlineBytes = JSON.stringify(pool).length;
  const layout = options.layout ?? (inlineBytes > CLIENT_APPLY_SAFE_BYTES ? 'configmap' : 'inline');
  const apiVersion = `${GROUP_API.group}/${GROUP_API.version}`;
  if (layout === 'inline') {
    const spec = settingsFrom(options, { groupName: options.group });
    const ordered: ClickToCallInGroupSpec = {
      groupName: options.group,
      ...spec,
      dnisPool: pool as ClickToCallInGroupSpec['dnisPool'],
    };
    check(io, ordered, name);
    await writeOut(io, options.out, toYaml([{ apiVersion, kind: GROUP_API.kind, metadata, spec: ordered }]));
    return 0;
  }
  const configMapName = `${name}-dnis`;
  const csvText = formatDnisCsv(pool, { header: true });
  const spec: ClickToCallInGroupSpec = {
    ...settingsFrom(options, { groupName: options.group }),
    dnisPoolFrom: { configMapKeyRef: { name: configMapName, key: 'pool.csv' } },
  };
  check(io, spec, name, { text: csvText, source: csvFile });
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, name: configMapName },
    data: { 'pool.csv': csvText },
  };
  await writeOut(io, options.out, toYaml([configMap, { apiVersion, kind: GROUP_API.kind, metadata, spec }]));
  return 0;
}

/** Picks the one group of a file, or the one named by --group. */
function pickGroup(
  documents: YamlDocument[],
  file: string,
  wanted: string | undefined,
): YamlDocument & { value: KubeObject } {
  const groups = documents.filter((d): d is YamlDocument & { value: KubeObject } => isGroup(d.value));
  const matching =
    wanted === undefined
      ? groups
      : groups.filter(
          (d) => nameOf(d.value) === wanted || (isObject(d.value.spec) && d.value.spec.groupName === wanted),
        );
  if (matching.length === 1 && matching[0]) return matching[0];
  if (groups.length === 0) throw new CommandError(`${file} holds no ClickToCallInGroup`);
  if (matching.length === 0) throw new CommandError(`${file} holds no group named ${JSON.stringify(wanted)}`);
  throw new UsageError(`${file} holds ${matching.length} groups; pick one with --group <name>`);
}

async function importInto(file: string, pool: DnisEntry[], options: ImportOptions, io: Io): Promise<number> {
  const parsed = parseYaml(file, await readText(file, 'group file'));
  if (parsed.errors.length > 0) {
    printIssues(io, '', parsed.errors);
    throw new CommandError(`${file} is not valid YAML; nothing was written`);
  }
  const target = pickGroup(parsed.documents, file, options.group);
  const group = target.value;
  const base = isObject(group.spec) ? (group.spec as ClickToCallInGroupSpec) : {};
  const { group: _ignored, ...settingsOnly } = options;
  const spec = settingsFrom(settingsOnly, base);
  const source = poolSourceOf(group);
  const configMap = source
    ? parsed.documents.find(
        (d) =>
          isConfigMap(d.value) &&
          nameOf(d.value as KubeObject) === source.name &&
          namespaceOf(d.value as KubeObject) === namespaceOf(group),
      )
    : undefined;
  const metadataName = nameOf(group) ?? '';
  if (source && configMap && isConfigMap(configMap.value)) {
    const csvText = formatDnisCsv(pool, { header: true });
    check(io, { ...spec, dnisPool: undefined }, metadataName, { text: csvText, source: file });
    configMap.value.data = { ...configMap.value.data, [source.key]: csvText };
    delete spec.dnisPool;
  } else {
    if (source)
      throw new CommandError(
        `the group takes its pool from ConfigMap ${JSON.stringify(source.name)}, which is not in ${file}`,
      );
    spec.dnisPool = pool as ClickToCallInGroupSpec['dnisPool'];
    check(io, spec, metadataName);
  }
  group.spec = spec;
  await writeOut(io, options.out ?? file, toYaml(parsed.documents.map((d) => d.value)));
  io.stderr(
    `c2c import: wrote ${pool.length} numbers into ${options.out ?? file}${options.out ? '' : ' (YAML comments are not kept)'}\n`,
  );
  return 0;
}

export async function runExport(
  file: string,
  options: { group?: string; header?: boolean; out?: string },
  io: Io,
): Promise<number> {
  const parsed = parseYaml(file, await readText(file, 'group file'));
  if (parsed.errors.length > 0) {
    printIssues(io, '', parsed.errors);
    throw new CommandError(`${file} is not valid YAML`);
  }
  const target = pickGroup(parsed.documents, file, options.group);
  const group = target.value;
  const source = poolSourceOf(group);
  let csvPool: { text: string; source: string } | undefined;
  if (source) {
    const cm = parsed.documents.find(
      (d) => isConfigMap(d.value) && nameOf(d.value as KubeObject) === source.name,
    );
    const text = cm && isConfigMap(cm.value) ? cm.value.data?.[source.key] : undefined;
    if (typeof text !== 'string')
      throw new CommandError(
        `the group takes its pool from ConfigMap ${JSON.stringify(source.name)} key ${JSON.stringify(source.key)}, which is not in ${file}`,
      );
    csvPool = { text, source: `configmap/${source.name}/${source.key}` };
  }
  // Only a valid group is exported: anything the CSV could not carry faithfully is an error here.
  const resolved = resolveGroup(group.spec, {
    metadataName: nameOf(group) ?? '',
    ...(csvPool ? { csvPool } : {}),
  });
  if (!resolved.group) {
    printIssues(io, `${file}:${target.index}:`, resolved.errors);
    throw new CommandError(`the group in ${file} has errors (above); nothing was exported`);
  }
  const entries: DnisEntry[] = resolved.group.dnisPool;
  await writeOut(io, options.out, formatDnisCsv(entries, { header: options.header === true }));
  return 0;
}
