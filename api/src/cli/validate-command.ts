/** `c2c validate <files or folders>`: checks every ClickToCallInGroup in multi-document YAML files. */
import { GroupConfigMap, groupNameOf, validateGroupSpec, resolveGroup, Rule, type Issue } from '../index.ts';
import {
  isConfigMap,
  isGroup,
  nameOf,
  namespaceOf,
  poolSourceOf,
  groupFiles,
  lineOf,
  readYamlFile,
  type KubeObject,
  type YamlDocument,
} from './documents.ts';
import { CommandError, type Io } from './output.ts';
import path from 'node:path';

export const validateHelp = `Usage: c2c validate <file or folder>... [--output text|json]

Checks every ClickToCallInGroup in the given YAML files (folders are searched recursively for
*.yaml, *.yml and *.json, following symlinks, as the allocator reads a groups folder; files may
hold several documents separated by ---). A group whose pool comes
from a ConfigMap (spec.dnisPoolFrom) is checked together with that ConfigMap when it is among
the files.

Prints one line per finding, "file:document:path (line N): message [RULE]", and exits with 1 when any
error is found, 0 otherwise (warnings do not fail). Rule codes are explained in docs/errors.md.

Options:
  -o, --output text|json   json prints one object {files, groups, errors, warnings} for bots
  -h, --help               show this help
`;

export interface Finding extends Issue {
  file: string;
  document: number;
  /** The line of the field in the YAML file (`line` is a CSV line, for pool CSV issues). */
  yamlLine?: number;
  severity: 'error' | 'warning';
}

export interface ValidateReport {
  files: number;
  groups: number;
  errors: Finding[];
  warnings: Finding[];
}

/** Validates the documents of a set of files (already parsed). */
export function validateDocuments(
  documents: YamlDocument[],
  syntaxErrors: Finding[],
  fileCount: number,
): ValidateReport {
  const report: ValidateReport = { files: fileCount, groups: 0, errors: [...syntaxErrors], warnings: [] };
  const configMaps = new Map<string, YamlDocument & { value: KubeObject }>();
  for (const doc of documents) {
    if (isConfigMap(doc.value))
      configMaps.set(
        `${namespaceOf(doc.value)}/${nameOf(doc.value) ?? ''}`,
        doc as YamlDocument & { value: KubeObject },
      );
  }
  const namesSeen = new Map<string, YamlDocument>();
  for (const doc of documents) {
    if (!isGroup(doc.value)) continue;
    report.groups++;
    const group = doc.value;
    const at = (issue: Issue, severity: Finding['severity']): Finding => {
      const yamlLine = lineOf(doc, issue.path);
      return {
        ...issue,
        file: doc.file,
        document: doc.index,
        severity,
        ...(yamlLine !== undefined ? { yamlLine } : {}),
      };
    };
    const metadataName = nameOf(group);
    if (metadataName === undefined) {
      report.errors.push(
        at(
          {
            path: 'metadata.name',
            rule: Rule.SchemaRequired,
            message: 'metadata.name is required but missing',
          },
          'error',
        ),
      );
    }
    if (group.spec === undefined) {
      report.errors.push(
        at({ path: 'spec', rule: Rule.SchemaRequired, message: 'spec is required but missing' }, 'error'),
      );
      continue;
    }
    const source = poolSourceOf(group);
    const configMap = source ? configMaps.get(`${namespaceOf(group)}/${source.name}`) : undefined;
    let result: { errors: Issue[]; warnings: Issue[] };
    if (source && configMap) {
      const text = configMap.value.data?.[source.key];
      if (typeof text !== 'string') {
        result = validateGroupSpec(group.spec, { metadataName });
        result.errors.push({
          path: 'spec.dnisPoolFrom.configMapKeyRef.key',
          rule: Rule.PoolSource,
          value: source.key,
          message: `ConfigMap ${JSON.stringify(source.name)} (${configMap.file}:${configMap.index}) has no data key ${JSON.stringify(source.key)}`,
        });
      } else {
        result = resolveGroup(group.spec, {
          metadataName: metadataName ?? '',
          csvPool: { text, source: `configmap/${source.name}/${source.key}` },
        });
      }
    } else {
      result = validateGroupSpec(group.spec, { metadataName });
      if (source) {
        result.warnings.push({
          path: 'spec.dnisPoolFrom',
          rule: Rule.PoolSource,
          message: `ConfigMap ${JSON.stringify(source.name)} is not among the files given, so the numbers it holds were not checked`,
        });
      }
    }
    const groupName = groupNameOf(group.spec, metadataName);
    if (groupName !== undefined) {
      const other = namesSeen.get(groupName);
      if (other) {
        result.errors.push({
          path: 'spec.groupName',
          rule: Rule.GroupNameTaken,
          value: groupName,
          message: `group name ${JSON.stringify(groupName)} is also used by the group in ${other.file}:${other.index}; group names must be unique`,
        });
      } else {
        namesSeen.set(groupName, doc);
      }
    }
    report.errors.push(...result.errors.map((e) => at(e, 'error')));
    report.warnings.push(...result.warnings.map((w) => at(w, 'warning')));
  }
  return report;
}

export async function runValidate(paths: string[], output: string, io: Io): Promise<number> {
  if (output !== 'text' && output !== 'json')
    throw new CommandError(`--output must be text or json, not ${JSON.stringify(output)}`);
  const walk = await groupFiles(paths);
  const fileFindings: Finding[] = [];
  const fileFinding = (file: string, rule: string, message: string, severity: Finding['severity']) =>
    fileFindings.push({ file, document: 0, path: '', rule, message, severity });
  for (const p of walk.problems) {
    const unreadable = p.message.startsWith('cannot be read');
    fileFinding(
      p.path,
      unreadable ? Rule.InputUnreadable : Rule.FolderSkipped,
      p.message,
      unreadable ? 'error' : 'warning',
    );
  }
  for (const d of walk.marked) {
    fileFinding(
      d,
      Rule.FolderSkipped,
      `holds ${GroupConfigMap.settingsKey}: a mounted group ConfigMap, which the operator writes and the allocator reads; not checked here`,
      'warning',
    );
  }
  if (walk.files.length === 0 && walk.problems.length === 0 && walk.marked.length === 0)
    fileFinding(paths.join(' '), Rule.NoGroup, 'no group files (*.yaml, *.yml, *.json) found', 'error');
  const given = new Set(paths.map((p) => path.resolve(p)));
  const documents: YamlDocument[] = [];
  for (const file of walk.files) {
    const parsed = await readYamlFile(file);
    documents.push(...parsed.documents);
    for (const e of parsed.errors)
      fileFindings.push({
        ...e,
        path: e.line === undefined ? '' : `line ${e.line}`,
        file,
        document: 0,
        severity: 'error',
      });
    if (
      parsed.errors.length === 0 &&
      !parsed.documents.some((d) => isGroup(d.value) || isConfigMap(d.value))
    ) {
      // Named on the command line, a file without a group is a mistake; found in a folder, a note.
      fileFinding(
        file,
        Rule.NoGroup,
        'holds no ClickToCallInGroup (nor a ConfigMap)',
        given.has(path.resolve(file)) ? 'error' : 'warning',
      );
    }
  }
  const report = validateDocuments(
    documents,
    fileFindings.filter((f) => f.severity === 'error'),
    walk.files.length,
  );
  report.warnings.unshift(...fileFindings.filter((f) => f.severity === 'warning'));
  if (output === 'json') {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const f of [...report.errors, ...report.warnings]) {
      const where =
        f.document === 0
          ? `${f.file}:${f.path}`
          : `${f.file}:${f.document}:${f.path}${f.yamlLine !== undefined ? ` (line ${f.yamlLine})` : ''}`;
      io.stdout(`${where}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message} [${f.rule}]\n`);
    }
    io.stderr(
      `c2c validate: ${report.groups} group${report.groups === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'}, ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}, ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}\n`,
    );
  }
  return report.errors.length > 0 ? 1 : 0;
}
