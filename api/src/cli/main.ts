#!/usr/bin/env node
/** `c2c`: validate groups in GitOps repositories, import a DNIS pool from CSV, export it back. */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { runValidate, validateHelp } from './validate-command.ts';
import { exportHelp, importHelp, runExport, runImport, type ImportOptions } from './pool-commands.ts';
import { CommandError, UsageError, type Io } from './output.ts';

const mainHelp = `Usage: c2c <command> [options]

Commands:
  validate <files or folders>   check every ClickToCallInGroup (exit 1 on any error)
  import <pool.csv> --group <n>  write a group (or a ConfigMap + group pair) from a CSV pool
  export <group.yaml>            write a group's pool as CSV

Run "c2c <command> --help" for the options of a command.
`;

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new UsageError(`${flag} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(args: string[], options: ParseArgsOptionsConfig, command: string): Parsed {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError(
      `${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}; see c2c ${command} --help`,
    );
  }
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate': {
        const { values, positionals } = parse(
          rest,
          { output: { type: 'string', short: 'o', default: 'text' } },
          'validate',
        );
        if (values.help) return (io.stdout(validateHelp), 0);
        if (positionals.length === 0)
          throw new UsageError('give at least one file or folder; see c2c validate --help');
        return await runValidate(positionals, String(values.output), io);
      }
      case 'import': {
        const { values, positionals } = parse(
          rest,
          {
            group: { type: 'string' },
            name: { type: 'string' },
            namespace: { type: 'string' },
            'access-code-length': { type: 'string' },
            'no-access-code': { type: 'boolean' },
            expiry: { type: 'string' },
            'unique-dnis': { type: 'boolean' },
            inline: { type: 'boolean' },
            configmap: { type: 'boolean' },
            into: { type: 'string' },
            out: { type: 'string', short: 'o' },
          },
          'import',
        );
        if (values.help) return (io.stdout(importHelp), 0);
        if (positionals.length !== 1)
          throw new UsageError('give exactly one CSV file; see c2c import --help');
        if (values.inline && values.configmap)
          throw new UsageError('--inline and --configmap cannot be used together');
        const options: ImportOptions = {
          ...(typeof values.group === 'string' ? { group: values.group } : {}),
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
          ...(typeof values.namespace === 'string' ? { namespace: values.namespace } : {}),
          ...(typeof values.into === 'string' ? { into: values.into } : {}),
          ...(typeof values.out === 'string' ? { out: values.out } : {}),
          noAccessCode: values['no-access-code'] === true,
          uniqueDnis: values['unique-dnis'] === true,
        };
        const length = integer(values['access-code-length'] as string | undefined, '--access-code-length');
        if (length !== undefined) options.accessCodeLength = length;
        const expiry = integer(values.expiry as string | undefined, '--expiry');
        if (expiry !== undefined) options.expiry = expiry;
        if (values.inline) options.layout = 'inline';
        if (values.configmap) options.layout = 'configmap';
        return await runImport(positionals[0] as string, options, io);
      }
      case 'export': {
        const { values, positionals } = parse(
          rest,
          { group: { type: 'string' }, header: { type: 'boolean' }, out: { type: 'string', short: 'o' } },
          'export',
        );
        if (values.help) return (io.stdout(exportHelp), 0);
        if (positionals.length !== 1)
          throw new UsageError('give exactly one group YAML file; see c2c export --help');
        return await runExport(
          positionals[0] as string,
          {
            ...(typeof values.group === 'string' ? { group: values.group } : {}),
            header: values.header === true,
            ...(typeof values.out === 'string' ? { out: values.out } : {}),
          },
          io,
        );
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(mainHelp);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(command)}; the commands are validate, import and export`,
        );
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`c2c: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandError) {
      io.stderr(`c2c: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) {
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `c2c: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 3;
    },
  );
}
