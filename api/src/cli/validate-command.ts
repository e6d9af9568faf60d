/** `c2c validate <files or folders>`: checks every ClickToCallInGroup in multi-document YAML files. */
import { validateGroupSpec, resolveGroup, Rule, type Issue } from '../index.ts';
import {
  isConfigMap,
  isGroup,
  isObject,
  nameOf,
  namespaceOf,
  poolSourceOf,
  readYamlFile,
  yamlFiles,
  type KubeObject,
  type YamlDocument,
} from './documents.ts';
import { CommandError, type Io } from './output.ts';

export const validateHelp = `Usage: c2c validate <file or folder>... [--output text|json]

Checks every ClickToCallInGroup in the given YAML files (folders are searched recursively for
*.yaml and *.yml; files may hold several documents separated by ---). A group whose pool comes
from a ConfigMap (spec.dnisPoolFrom) is checked together with that ConfigMap when it is among
the files.

Prints one line per finding, "file:document:path: message [RULE]", and exits with 1 when any
error is found, 0 otherwise (warnings do not fail). Rule codes are explained in docs/errors.md.

Options:
  -o, --output text|json   json prints one object {files, groups, errors, warnings} for bots
  -h, --help               show this help
`;

export interface Finding extends Issue {
  file: string;
  document: number;
  severity: 'error' | 'warning';
}

export interface ValidateReport {
  files: number;
  groups: number;
  errors: Finding[];
  warnings: Finding[];
}

function groupNameOf(group: KubeObject): string | undefined {
  return isObject(group.spec) && typeof group.spec.groupName === 'string'
    ? group.spec.groupName
    : nameOf(group);
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
    const at = (issue: Issue, severity: Finding['severity']): Finding => ({
      ...issue,
      file: doc.file,
      document: doc.index,
      severity,
    });
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
    const groupName = groupNameOf(group);
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
  let files: string[];
  try {
    files = await yamlFiles(paths);
  } catch (err) {
    throw new CommandError(
      `cannot read ${(err as { path?: string }).path ?? paths.join(' ')}: ${(err as { code?: string }).code ?? String(err)}`,
    );
  }
  if (files.length === 0) throw new CommandError(`no YAML files found in ${paths.join(' ')}`);
  const documents: YamlDocument[] = [];
  const syntaxErrors: Finding[] = [];
  for (const file of files) {
    const parsed = await readYamlFile(file);
    documents.push(...parsed.documents);
    syntaxErrors.push(
      ...parsed.errors.map((e) => ({
        ...e,
        path: e.line === undefined ? '' : `line ${e.line}`,
        file,
        document: 0,
        severity: 'error' as const,
      })),
    );
  }
  const report = validateDocuments(documents, syntaxErrors, files.length);
  if (output === 'json') {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const f of [...report.errors, ...report.warnings]) {
      const where = f.document === 0 ? `${f.file}:${f.path}` : `${f.file}:${f.document}:${f.path}`;
      io.stdout(`${where}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message} [${f.rule}]\n`);
    }
    io.stderr(
      `c2c validate: ${report.groups} group${report.groups === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'}, ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}, ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}\n`,
    );
  }
  return report.errors.length > 0 ? 1 : 0;
}
