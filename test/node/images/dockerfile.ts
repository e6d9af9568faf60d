// Reads a Dockerfile into its stages and resolves what a target stage's image holds: the settings it
// inherits through `FROM <stage>`, and every COPY with its destination made absolute. Only what the image
// configuration and file list depend on is interpreted; RUN commands are kept as text.
import { posix } from 'node:path';

export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface DockerCopy {
  /** A stage name (or index), or undefined for the build context. */
  readonly from?: string;
  readonly sources: readonly string[];
  /** Absolute, resolved against the WORKDIR in force. */
  readonly dest: string;
  /** The destination was written as a folder (`./`, `dir/`) or takes several sources. */
  readonly destIsDir: boolean;
  readonly chown?: string;
}

export interface DockerStage {
  readonly index: number;
  readonly name?: string;
  /** An image reference, or the name of an earlier stage. */
  readonly from: string;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly expose: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly copies: readonly DockerCopy[];
  readonly runs: readonly string[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly args: Readonly<Record<string, string>>;
  readonly stages: readonly DockerStage[];
}

/** A target stage as its image is: settings merged along the FROM chain, base image first. */
export interface ResolvedStage {
  /** Stage names from the external base image's stage to the target. */
  readonly chain: readonly string[];
  /** The external image at the bottom of the chain. */
  readonly baseImage: string;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly expose: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly copies: readonly DockerCopy[];
}

/** Instructions with line continuations joined and comments dropped. */
export function parseInstructions(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending ? { ...pending, text: `${pending.text} ${body}` } : { text: body, line: index + 1 };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim());
    if (match?.[1])
      instructions.push({
        keyword: match[1].toUpperCase(),
        args: (match[2] ?? '').trim(),
        line: pending.line,
      });
    pending = undefined;
  });
  return instructions;
}

export function parseDockerfile(text: string, buildArgs: Readonly<Record<string, string>> = {}): Dockerfile {
  const args: Record<string, string> = {};
  const stages: MutableStage[] = [];
  for (const instruction of parseInstructions(text)) {
    const stage = stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = shellWords(instruction.args).filter((word) => !word.startsWith('--'));
      if (!image) throw new Error(`Dockerfile line ${instruction.line}: FROM without an image`);
      stages.push({
        index: stages.length,
        ...(as?.toUpperCase() === 'AS' && name ? { name } : {}),
        from: substitute(image, { ...args, ...buildArgs }),
        env: {},
        labels: {},
        expose: [],
        copies: [],
        runs: [],
      });
    } else if (instruction.keyword === 'ARG' && !stage) {
      const [name, value = ''] = splitAssignment(instruction.args);
      args[name] = value;
    } else if (stage) {
      applyInstruction(stage, instruction);
    }
  }
  return { args, stages };
}

export function resolveStage(dockerfile: Dockerfile, target: string): ResolvedStage {
  const chain: DockerStage[] = [];
  for (let stage = findStage(dockerfile, target); stage; stage = findStage(dockerfile, stage.from)) {
    if (chain.includes(stage)) throw new Error(`Dockerfile: stage ${target} inherits from itself`);
    chain.unshift(stage);
  }
  const [first] = chain;
  if (!first) throw new Error(`Dockerfile: no stage named ${target}`);
  const expose: string[] = [];
  let workdir: string | undefined;
  let user: string | undefined;
  let entrypoint: readonly string[] | undefined;
  let cmd: readonly string[] | undefined;
  for (const stage of chain) {
    for (const port of stage.expose) if (!expose.includes(port)) expose.push(port);
    workdir = stage.workdir ?? workdir;
    user = stage.user ?? user;
    if (stage.entrypoint !== undefined) {
      entrypoint = stage.entrypoint;
      cmd = undefined; // a new ENTRYPOINT resets an inherited CMD, as Docker does
    }
    cmd = stage.cmd ?? cmd;
  }
  return {
    chain: chain.map((stage) => stage.name ?? String(stage.index)),
    baseImage: first.from,
    env: Object.assign({}, ...chain.map((stage) => stage.env)) as Record<string, string>,
    labels: Object.assign({}, ...chain.map((stage) => stage.labels)) as Record<string, string>,
    expose,
    copies: chain.flatMap((stage) => stage.copies),
    ...(workdir === undefined ? {} : { workdir }),
    ...(user === undefined ? {} : { user }),
    ...(entrypoint === undefined ? {} : { entrypoint }),
    ...(cmd === undefined ? {} : { cmd }),
  };
}

export function findStage(dockerfile: Dockerfile, nameOrIndex: string): DockerStage | undefined {
  return dockerfile.stages.find(
    (stage) => stage.name?.toLowerCase() === nameOrIndex.toLowerCase() || String(stage.index) === nameOrIndex,
  );
}

type MutableStage = { -readonly [K in keyof DockerStage]: DockerStage[K] } & {
  env: Record<string, string>;
  labels: Record<string, string>;
  expose: string[];
  copies: DockerCopy[];
  runs: string[];
};

function applyInstruction(stage: MutableStage, { keyword, args, line }: DockerInstruction): void {
  switch (keyword) {
    case 'ENV':
      Object.assign(stage.env, keyValues(args, stage.env));
      break;
    case 'LABEL':
      Object.assign(stage.labels, keyValues(args, stage.env));
      break;
    case 'WORKDIR':
      stage.workdir = posix.resolve(stage.workdir ?? '/', substitute(args, stage.env));
      break;
    case 'USER':
      stage.user = substitute(args, stage.env);
      break;
    case 'EXPOSE':
      for (const port of shellWords(args)) stage.expose.push(port.includes('/') ? port : `${port}/tcp`);
      break;
    case 'ENTRYPOINT':
      stage.entrypoint = execForm(args);
      break;
    case 'CMD':
      stage.cmd = execForm(args);
      break;
    case 'RUN':
      stage.runs.push(args);
      break;
    case 'COPY':
    case 'ADD':
      stage.copies.push(parseCopy(args, stage.workdir ?? '/', line));
      break;
    default:
      break;
  }
}

function parseCopy(args: string, workdir: string, line: number): DockerCopy {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : shellWords(args);
  const flags = new Map<string, string>();
  const paths: string[] = [];
  for (const word of words) {
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (flag?.[1] && paths.length === 0) flags.set(flag[1], flag[2] ?? '');
    else paths.push(word);
  }
  const dest = paths.pop();
  if (!dest || paths.length === 0)
    throw new Error(`Dockerfile line ${line}: COPY needs a source and a destination`);
  const from = flags.get('from');
  const chown = flags.get('chown');
  return {
    ...(from === undefined ? {} : { from }),
    sources: paths,
    dest: posix.resolve(workdir, dest),
    destIsDir: dest.endsWith('/') || dest === '.' || paths.length > 1,
    ...(chown === undefined ? {} : { chown }),
  };
}

/**
 * Where each source of a COPY lands: inside a folder destination by its base name, else at the destination.
 * (A source folder copied into a folder destination spreads its contents there instead; the project's
 * Dockerfile does not do that.)
 */
export function copiedPaths(copy: DockerCopy): string[] {
  return copy.sources.map((source) =>
    copy.destIsDir ? posix.join(copy.dest, posix.basename(source)) : copy.dest,
  );
}

/** `["a", "b"]` as is; the shell form as Docker runs it. */
function execForm(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return ['/bin/sh', '-c', args];
}

/** `k=v k2="v 2"`, or the old `k v w` form of one pair; values see the ENV of earlier instructions only, as in Docker. */
function keyValues(args: string, env: Readonly<Record<string, string>>): Record<string, string> {
  const words = shellWords(args);
  if (words[0] && !words[0].includes('=')) {
    const [key, ...rest] = args.split(/\s+/);
    return { [key!]: substitute(rest.join(' '), env) };
  }
  const values: Record<string, string> = {};
  for (const word of words) {
    const [key, value = ''] = splitAssignment(word);
    values[key] = substitute(value, env);
  }
  return values;
}

function splitAssignment(word: string): [string, string?] {
  const equals = word.indexOf('=');
  return equals === -1 ? [word] : [word.slice(0, equals), word.slice(equals + 1)];
}

/** Words split at unquoted white space, quotes removed, backslash escapes applied. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Dockerfile: unterminated quote in ${text}`);
  if (inWord) words.push(word);
  return words;
}

/** `$NAME`, `${NAME}` and `${NAME:-default}`, from the given variables. */
export function substitute(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))/g, (_match, braced, fallback, bare) => {
    const value = variables[(braced ?? bare) as string];
    return value === undefined || value === '' ? ((fallback as string | undefined) ?? '') : value;
  });
}
