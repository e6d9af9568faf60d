/**
 * The DNIS pool as CSV: one `number,description` line per number (the description may be empty, the
 * comma stays), with an optional third column `reserved` (`true`, `false` or empty). Tolerates a header row, a UTF-8 BOM, CRLF, blank lines, spaces around fields and
 * double-quoted descriptions holding commas. Every issue names its line; a duplicate names both.
 */
import { Limits, Rule, charCount, formatCount, show, type Issue } from './issues.ts';
import { checkDnis, normalizeDnis } from './dnis-checks.ts';
import type { DnisEntry } from './resolved-group.ts';

export interface CsvEntry {
  /** Normalised `+E.164`. */
  number: string;
  description?: string;
  /** Present (true) only when the line's `reserved` column says `true`. */
  reserved?: true;
  /** 1-based line in the source. */
  line: number;
}

export interface CsvParseResult {
  entries: CsvEntry[];
  errors: Issue[];
}

export interface CsvParseOptions {
  /** Name used in issue paths, e.g. `pool.csv` → `pool.csv:12`. Default `pool.csv`. */
  source?: string;
  /** Largest pool accepted (default 10,000). */
  maxEntries?: number;
}

const HEADER_NAMES = new Set(['number', 'dnis', 'phone', 'phone number', 'phonenumber']);

/** Splits one line into fields; returns a message instead when the quoting is broken. */
export function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return 'a double quote is opened but never closed';
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',')
        return 'text follows a closing double quote; quote the whole field';
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const raw = comma === -1 ? line.slice(i) : line.slice(i, comma);
      if (raw.includes('"'))
        return 'a double quote appears inside an unquoted field; quote the whole field and double inner quotes ("")';
      fields.push(raw.trim());
      i = comma === -1 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** Parses and checks a pool CSV. Entries are returned even with errors; write nothing unless errors is empty. */
export function parseDnisCsv(text: string, options: CsvParseOptions = {}): CsvParseResult {
  const source = options.source ?? 'pool.csv';
  const maxEntries = options.maxEntries ?? Limits.poolMax;
  const entries: CsvEntry[] = [];
  const errors: Issue[] = [];
  const firstLine = new Map<string, { line: number; written: string }>();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Odd parts are the line ends, kept so that a quoted description spanning lines keeps its own.
  const parts = body.split(/(\r\n|\n|\r)/);
  const lines = parts.filter((_, i) => i % 2 === 0);
  const ends = parts.filter((_, i) => i % 2 === 1);
  let sawContent = false;
  let overLimitLine: number | undefined;
  const at = (line: number) => `${source}:${line}`;

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let raw = lines[index] ?? '';
    if (raw.trim() === '') continue;
    let fields = splitCsvLine(raw);
    if (typeof fields === 'string' && hasOpenQuote(raw)) {
      // A quoted description may hold line breaks (formatDnisCsv writes them so): read on until the
      // quote closes, at most as many lines as a description can hold characters.
      let record = raw;
      for (let next = index + 1; next < lines.length && next <= index + Limits.descriptionMaxChars; next++) {
        record += (ends[next - 1] ?? '\n') + (lines[next] ?? '');
        if (hasOpenQuote(record)) continue;
        const joined = splitCsvLine(record);
        if (typeof joined !== 'string') {
          fields = joined;
          raw = record;
          index = next;
        }
        break;
      }
    }
    if (typeof fields === 'string') {
      errors.push({
        path: at(line),
        line,
        rule: Rule.CsvQuote,
        value: raw,
        message: `line ${line}: ${fields}`,
      });
      sawContent = true;
      continue;
    }
    const [first = '', description, reservedText] = fields;
    if (!sawContent) {
      sawContent = true;
      if (HEADER_NAMES.has(first.toLowerCase())) continue;
    }
    if (fields.length === 1) {
      errors.push({
        path: at(line),
        line,
        rule: Rule.CsvColumns,
        value: raw,
        message: `line ${line} has no comma: write "number,description" (the description may be empty, but the comma is required, e.g. "${first},")`,
      });
      continue;
    }
    if (fields.length > 3) {
      errors.push({
        path: at(line),
        line,
        rule: Rule.CsvColumns,
        value: raw,
        message: `line ${line} has ${fields.length} fields, expected 2 or 3 (number,description,reserved); put a description that contains commas in double quotes`,
      });
      continue;
    }
    let ok = true;
    const reserved = reservedText === undefined ? false : parseReserved(reservedText);
    if (reserved === undefined) {
      errors.push({
        path: at(line),
        line,
        rule: Rule.CsvReserved,
        value: reservedText,
        message: `line ${line}: column 3 (reserved) is ${show(reservedText)}; it must be true, false or empty`,
      });
      ok = false;
    }
    const problem = checkDnis(first);
    if (problem) {
      errors.push({
        path: at(line),
        line,
        rule: problem.rule,
        value: first,
        message: `line ${line}: ${problem.message}`,
      });
      ok = false;
    }
    if (description !== undefined && charCount(description) > Limits.descriptionMaxChars) {
      errors.push({
        path: at(line),
        line,
        rule: Rule.DescriptionLength,
        value: description,
        message: `line ${line}: description ${show(description)} is ${charCount(description)} characters long; at most ${Limits.descriptionMaxChars} are allowed`,
      });
      ok = false;
    }
    if (!ok) continue;
    const number = normalizeDnis(first);
    const seen = firstLine.get(number);
    if (seen) {
      errors.push({
        path: at(line),
        line,
        rule: Rule.DnisDuplicate,
        value: first,
        message: `line ${line}: number ${show(first)} is already on line ${seen.line}${seen.written === first ? '' : ` (as ${show(seen.written)})`}; each number may appear once`,
      });
      continue;
    }
    firstLine.set(number, { line, written: first });
    const entry: CsvEntry = description ? { number, description, line } : { number, line };
    if (reserved === true) entry.reserved = true;
    entries.push(entry);
    if (entries.length === maxEntries + 1) overLimitLine = line;
  }
  if (overLimitLine !== undefined) {
    errors.push({
      path: at(overLimitLine),
      line: overLimitLine,
      rule: Rule.PoolSize,
      value: entries.length,
      message: `${source} has ${formatCount(entries.length)} numbers, ${formatCount(entries.length - maxEntries)} more than the ${formatCount(maxEntries)} a group can hold; the first one over the limit is on line ${overLimitLine}`,
    });
  }
  return { entries, errors };
}

/** `true` / `false` in any case, or empty (not reserved); undefined for anything else. */
function parseReserved(text: string): boolean | undefined {
  const word = text.toLowerCase();
  if (word === 'true') return true;
  if (word === '' || word === 'false') return false;
  return undefined;
}

/** A parsed line as a pool entry (without its line number). */
export function poolEntryOf(e: CsvEntry): DnisEntry {
  const entry: DnisEntry = e.description
    ? { number: e.number, description: e.description }
    : { number: e.number };
  if (e.reserved) entry.reserved = true;
  return entry;
}

/** True when the text has an odd number of double quotes: a quoted field is still open. */
function hasOpenQuote(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 1;
}

function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The canonical CSV of a pool: `number,description` lines, no header, `\n` line ends; when any number
 * is reserved, a third column `reserved` (`true`, or empty) on every line.
 */
export function formatDnisCsv(
  entries: ReadonlyArray<{ number: string; description?: string; reserved?: boolean }>,
  options: { header?: boolean } = {},
): string {
  const withReserved = entries.some((e) => e.reserved === true);
  const lines = entries.map(
    (e) =>
      `${e.number},${csvField(e.description ?? '')}${withReserved ? (e.reserved === true ? ',true' : ',') : ''}`,
  );
  if (options.header) lines.unshift(withReserved ? 'number,description,reserved' : 'number,description');
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
