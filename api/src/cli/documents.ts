/** Reading YAML files of Kubernetes objects, finding groups and the ConfigMaps their pools come from. */
import { walkGroupFolders, type FolderWalk } from '#lib/folder-walk';
import { InputCode, InputError, loadYamlWithLines, readInputFile } from '#lib/input';
import { GROUP_API, GroupConfigMap } from '../index.ts';
import { Rule, type Issue } from '../issues.ts';
import { isObject } from '../validate.ts';

export interface YamlDocument {
  file: string;
  /** 1-based position of the document in its file. */
  index: number;
  value: unknown;
  /** Line of each value by its path (`spec.dnisPool[3].number`). */
  lines?: Map<string, number>;
}

export interface KubeObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; [key: string]: unknown };
  spec?: unknown;
  data?: Record<string, unknown>;
  [key: string]: unknown;
}

export { isObject };

export function isGroup(value: unknown): value is KubeObject {
  return (
    isObject(value) &&
    value.kind === GROUP_API.kind &&
    typeof value.apiVersion === 'string' &&
    value.apiVersion.startsWith(`${GROUP_API.group}/`)
  );
}

export function isConfigMap(value: unknown): value is KubeObject {
  return isObject(value) && value.kind === 'ConfigMap' && value.apiVersion === 'v1';
}

/**
 * Expands files and folders into the group files they hold, the way the allocator reads a groups
 * folder (lib/src/folder-walk.ts): symlinks followed, loops and hidden entries skipped.
 */
export function groupFiles(paths: string[]): Promise<FolderWalk> {
  return walkGroupFolders(paths, GroupConfigMap.settingsKey);
}

/** The line of `path` in a document, or of its nearest parent that has one. */
export function lineOf(doc: YamlDocument, issuePath: string): number | undefined {
  for (let p = issuePath; p !== ''; p = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
    const line = doc.lines?.get(p);
    if (line !== undefined) return line;
    if (!/(\.[^.[\]]*|\[\d+\])$/.test(p)) break;
  }
  return undefined;
}

/**
 * Parses a multi-document YAML file; a syntax error, an alias expansion over the limit, a file over
 * the size limit or one that is not UTF-8 becomes an issue naming the line.
 */
export function parseYaml(file: string, text: string): { documents: YamlDocument[]; errors: Issue[] } {
  try {
    const documents: YamlDocument[] = [];
    const loaded = loadYamlWithLines(text, file);
    loaded.documents.forEach((value, i) => {
      const lines = loaded.lines[i];
      if (value !== null && value !== undefined)
        documents.push({ file, index: i + 1, value, ...(lines ? { lines } : {}) });
    });
    return { documents, errors: [] };
  } catch (err) {
    return { documents: [], errors: [inputIssue(err, file)] };
  }
}

export async function readYamlFile(file: string): Promise<{ documents: YamlDocument[]; errors: Issue[] }> {
  let text: string;
  try {
    text = await readInputFile(file);
  } catch (err) {
    return { documents: [], errors: [inputIssue(err, file)] };
  }
  return parseYaml(file, text);
}

const ruleOf: Record<InputCode, string> = {
  [InputCode.YamlSyntax]: Rule.YamlSyntax,
  [InputCode.YamlExpansion]: Rule.YamlExpansion,
  [InputCode.TooLarge]: Rule.InputTooLarge,
  [InputCode.NotUtf8]: Rule.InputNotUtf8,
  [InputCode.Unreadable]: Rule.InputUnreadable,
};

function inputIssue(err: unknown, file: string): Issue {
  if (!(err instanceof InputError)) throw err;
  return {
    path: err.line === undefined ? file : `${file}:${err.line}`,
    rule: ruleOf[err.code],
    message: err.reason,
    ...(err.line === undefined ? {} : { line: err.line }),
  };
}

/** Name of the ConfigMap that, with its key, a group's dnisPoolFrom points at. */
export function poolSourceOf(group: KubeObject): { name: string; key: string } | undefined {
  const spec = group.spec;
  if (!isObject(spec) || !isObject(spec.dnisPoolFrom) || !isObject(spec.dnisPoolFrom.configMapKeyRef))
    return undefined;
  const { name, key } = spec.dnisPoolFrom.configMapKeyRef;
  return typeof name === 'string' && typeof key === 'string' ? { name, key } : undefined;
}

export function namespaceOf(object: KubeObject): string {
  return typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : '';
}

export function nameOf(object: KubeObject): string | undefined {
  return typeof object.metadata?.name === 'string' ? object.metadata.name : undefined;
}
