/**
 * Reading group input safely: files of a bounded size, strict UTF-8, and YAML whose aliases cannot
 * expand it beyond a bound. Every YAML and CSV reader of the project (CLI, allocator folder, API keys)
 * goes through here, so one set of limits applies everywhere (docs/errors.md § Input limits).
 */
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { constructFromEvents, parseEvents, type Event } from 'js-yaml';

/**
 * Largest file read: a few times the worst-case group (10,000 numbers of 16 characters with
 * 32-character descriptions is about 0.8 MB as YAML).
 */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** Largest size a YAML file may reach with its aliases expanded (scalar characters plus one per node). */
export const MAX_EXPANDED_YAML = MAX_INPUT_BYTES;
/** Most aliases per YAML document. */
export const MAX_YAML_ALIASES = 1_000;

export const InputCode = {
  TooLarge: 'INPUT_TOO_LARGE',
  NotUtf8: 'INPUT_NOT_UTF8',
  YamlSyntax: 'YAML_SYNTAX',
  YamlExpansion: 'YAML_EXPANSION',
  Unreadable: 'INPUT_UNREADABLE',
} as const;
export type InputCode = (typeof InputCode)[keyof typeof InputCode];

/** Input refused before or while parsing; `message` names the file and, where known, the line. */
export class InputError extends Error {
  readonly code: InputCode;
  readonly file: string;
  readonly line: number | undefined;

  constructor(code: InputCode, file: string, line: number | undefined, reason: string) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${reason}`);
    this.name = 'InputError';
    this.code = code;
    this.file = file;
    this.line = line;
  }

  /** The reason alone, without the file and line. */
  get reason(): string {
    return this.message.slice(this.message.indexOf(': ') + 2);
  }
}

/** Reads a text file of at most `maxBytes`, refusing a larger one before reading it whole. */
export async function readInputFile(file: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new InputError(InputCode.Unreadable, file, undefined, `cannot be read (${codeOf(err)})`);
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(file, size, maxBytes);
    // Read one byte past the limit: a file that grows while being read is refused too.
    const buffer = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(file, length, maxBytes);
      if (length === buffer.length) break;
    }
    return decodeUtf8(buffer.subarray(0, length), file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(InputCode.Unreadable, file, undefined, `cannot be read (${codeOf(err)})`);
  } finally {
    await handle.close();
  }
}

/** Strict UTF-8 (a leading byte-order mark is dropped); the first bad byte is named by its line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw new InputError(
      InputCode.NotUtf8,
      file,
      line,
      `is not UTF-8: byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset} (save the file as UTF-8)`,
    );
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const n =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    if (n > 0 && !isUtf8(bytes.subarray(i, i + n + 1))) return i;
    i += n + 1;
  }
  return bytes.length;
}

/**
 * Parses multi-document YAML into plain values, refusing input whose aliases would expand it beyond
 * `maxExpanded` (the "billion laughs"), or that holds more than MAX_YAML_ALIASES aliases in one
 * document, before any value is built. Errors name the file and line.
 */
export function loadYamlDocuments(text: string, file: string, maxExpanded = MAX_EXPANDED_YAML): unknown[] {
  return loadYaml(text, file, maxExpanded).documents;
}

/**
 * Like {@link loadYamlDocuments}, and for each document the line of every value by its path
 * (`spec.dnisPool[41].number`), so that errors about a field can name its line.
 */
export function loadYamlWithLines(
  text: string,
  file: string,
  maxExpanded = MAX_EXPANDED_YAML,
): { documents: unknown[]; lines: Array<Map<string, number>> } {
  const { documents, events } = loadYaml(text, file, maxExpanded);
  return { documents, lines: pathLines(events, text) };
}

function loadYaml(
  text: string,
  file: string,
  maxExpanded: number,
): { documents: unknown[]; events: Event[] } {
  let events: Event[];
  try {
    events = parseEvents(text, { filename: file });
  } catch (err) {
    throw yamlSyntax(err, file);
  }
  checkExpansion(events, text, file, maxExpanded);
  try {
    const documents = constructFromEvents(events, {
      source: text,
      filename: file,
      maxAliases: MAX_YAML_ALIASES,
    });
    return { documents, events };
  } catch (err) {
    throw yamlSyntax(err, file);
  }
}

/** The line of each value of each document, by its path in the issue format (`a.b[2].c`). */
function pathLines(events: Event[], text: string): Array<Map<string, number>> {
  const out: Array<Map<string, number>> = [];
  const newlines: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((newlines[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  interface Frame {
    kind: 'map' | 'seq';
    path: string;
    index: number;
    /** In a map: the key just read, waiting for its value. */
    key: string | undefined;
  }
  let lines = new Map<string, number>();
  const stack: Frame[] = [];
  const childPath = (f: Frame | undefined): string | undefined => {
    if (!f) return '';
    if (f.kind === 'seq') return `${f.path}[${f.index++}]`;
    const key = f.key;
    f.key = undefined;
    return key === undefined ? undefined : f.path === '' ? key : `${f.path}.${key}`;
  };
  /** A value at `offset`: in a map it is a key when no key is waiting. Returns its path, if a value. */
  const value = (offset: number, scalar: string | undefined): string | undefined => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'map' && top.key === undefined) {
      top.key = scalar ?? '?';
      return undefined;
    }
    const p = childPath(top);
    if (p !== undefined && !lines.has(p)) lines.set(p, lineOf(offset));
    return p;
  };
  for (const e of events) {
    if (e.type === 1) {
      lines = new Map();
      out.push(lines);
      stack.length = 0;
    } else if (e.type === 2 || e.type === 3) {
      const p = value(e.start, undefined) ?? '?';
      stack.push({ kind: e.type === 2 ? 'seq' : 'map', path: p, index: 0, key: undefined });
    } else if (e.type === 4) {
      value(e.valueStart, text.slice(e.valueStart, e.valueEnd).replace(/^['"]|['"]$/g, ''));
    } else if (e.type === 5) {
      value(e.anchorStart, undefined);
    } else if (e.type === 6) {
      stack.pop();
    }
  }
  return out;
}

/** The expanded size of each document, from the event stream: an alias costs its anchor's size. */
function checkExpansion(events: Event[], text: string, file: string, maxExpanded: number): void {
  const anchors = new Map<string, number>();
  const stack: Array<{ size: number; anchor: string | undefined }> = [];
  let aliases = 0;
  let total = 0;
  const add = (size: number, at: number) => {
    total += size;
    const top = stack[stack.length - 1];
    if (top) top.size += size;
    if (total > maxExpanded) {
      throw new InputError(
        InputCode.YamlExpansion,
        file,
        lineAt(text, at),
        `YAML aliases expand this file beyond ${maxExpanded} bytes (anchors and aliases may repeat a value, not multiply it)`,
      );
    }
  };
  for (const e of events) {
    switch (e.type) {
      case 1: // document
        anchors.clear();
        aliases = 0;
        stack.push({ size: 0, anchor: undefined });
        break;
      case 2: // sequence
      case 3: // mapping
        add(1, e.start);
        stack.push({
          size: 1,
          anchor: e.anchorStart >= 0 ? text.slice(e.anchorStart, e.anchorEnd) : undefined,
        });
        break;
      case 4: {
        const size = 1 + (e.valueEnd - e.valueStart);
        add(size, e.valueStart);
        if (e.anchorStart >= 0) anchors.set(text.slice(e.anchorStart, e.anchorEnd), size);
        break;
      }
      case 5: {
        if (++aliases > MAX_YAML_ALIASES) {
          throw new InputError(
            InputCode.YamlExpansion,
            file,
            lineAt(text, e.anchorStart),
            `more than ${MAX_YAML_ALIASES} YAML aliases in one document`,
          );
        }
        add(anchors.get(text.slice(e.anchorStart, e.anchorEnd)) ?? 1, e.anchorStart);
        break;
      }
      case 6: {
        const closed = stack.pop();
        if (closed?.anchor !== undefined) anchors.set(closed.anchor, closed.size);
        // The parent already counted the collection's own node; it now takes the contents too.
        const parent = stack[stack.length - 1];
        if (closed && parent) parent.size += closed.size - 1;
        break;
      }
    }
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function yamlSyntax(err: unknown, file: string): InputError {
  const e = err as { message?: string; mark?: { line?: number } };
  const line = typeof e.mark?.line === 'number' ? e.mark.line + 1 : undefined;
  const reason = (e.message ?? String(err)).split('\n')[0] ?? 'not valid YAML';
  return new InputError(InputCode.YamlSyntax, file, line, `not valid YAML: ${reason}`);
}

function tooLarge(file: string, size: number, maxBytes: number): InputError {
  return new InputError(
    InputCode.TooLarge,
    file,
    undefined,
    `is ${size} bytes, over the ${maxBytes}-byte limit for group input (a group of 10,000 numbers is under 1 MB; keep big pools in a ConfigMap CSV)`,
  );
}

function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? String(err);
}
