// A minimal tar writer: POSIX ustar headers, with a pax extended header in front of any entry whose path or
// link target does not fit in ustar's 100-byte fields. Enough for image layers and OCI layout archives;
// nothing here reads the file system.

export type TarEntryType = 'file' | 'dir' | 'symlink';

export interface TarEntry {
  /** Relative path without a leading slash; directories may end in `/` (added when missing). */
  readonly path: string;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Size of the content that follows the header (files only). */
  readonly size?: number;
  /** Symlink target. */
  readonly linkTarget?: string;
}

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

const TYPE_FLAG: Record<TarEntryType | 'pax', string> = { file: '0', dir: '5', symlink: '2', pax: 'x' };
const USTAR_NAME_MAX = 100;
const USTAR_SIZE_MAX = 0o77777777777;

/** The header block(s) of one entry: a pax header and its records first when the ustar fields are too small. */
export function tarHeader(entry: TarEntry): Buffer {
  const path = entryPath(entry);
  const size = entry.type === 'file' ? (entry.size ?? 0) : 0;
  const link = entry.linkTarget ?? '';
  const pax: Record<string, string> = {};
  if (Buffer.byteLength(path) > USTAR_NAME_MAX || !isAscii(path)) pax.path = path;
  if (Buffer.byteLength(link) > USTAR_NAME_MAX || !isAscii(link)) pax.linkpath = link;
  if (size > USTAR_SIZE_MAX) pax.size = String(size);

  const header = ustarBlock({
    name: pax.path ? asciiPrefix(path, USTAR_NAME_MAX) : path,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: pax.size ? 0 : size,
    mtime: entry.mtime,
    typeFlag: TYPE_FLAG[entry.type],
    linkName: pax.linkpath ? asciiPrefix(link, USTAR_NAME_MAX) : link,
  });
  if (Object.keys(pax).length === 0) return header;

  const records = paxRecords(pax);
  const paxHeader = ustarBlock({
    name: asciiPrefix(`PaxHeaders/${path}`, USTAR_NAME_MAX),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: entry.mtime,
    typeFlag: TYPE_FLAG.pax,
    linkName: '',
  });
  return Buffer.concat([paxHeader, records, tarPadding(records.length), header]);
}

/** Zero bytes that fill the last block of content of the given size. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** A whole entry: header, content, padding. */
export function tarEntry(entry: Omit<TarEntry, 'size'>, content: Buffer = Buffer.alloc(0)): Buffer {
  const header = tarHeader({ ...entry, size: content.length });
  return entry.type === 'file' ? Buffer.concat([header, content, tarPadding(content.length)]) : header;
}

function entryPath(entry: TarEntry): string {
  const path = entry.path.replace(/^\/+/, '');
  if (path === '' || path.split('/').some((part) => part === '..')) {
    throw new Error(`tar: unsafe entry path ${JSON.stringify(entry.path)}`);
  }
  return entry.type === 'dir' && !path.endsWith('/') ? `${path}/` : path;
}

interface UstarFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeFlag: string;
  linkName: string;
}

function ustarBlock(fields: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, USTAR_NAME_MAX, 'utf8');
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtime);
  block.write(' '.repeat(8), 148, 8, 'ascii'); // the checksum counts its own field as spaces
  block.write(fields.typeFlag, 156, 1, 'ascii');
  block.write(fields.linkName, 157, USTAR_NAME_MAX, 'utf8');
  block.write('ustar\u000000', 257, 8, 'ascii');
  let checksum = 0;
  for (const byte of block) checksum += byte;
  block.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`tar: invalid numeric field ${value}`);
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit in ${width} bytes`);
  block.write(`${digits.padStart(width - 1, '0')}\u0000`, offset, width, 'ascii');
}

/** Pax records: `<length> <key>=<value>\n`, where the length counts the whole record, itself included. */
function paxRecords(values: Record<string, string>): Buffer {
  const records = Object.entries(values).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    const bodyLength = Buffer.byteLength(body);
    let length = bodyLength + String(bodyLength).length;
    while (length !== bodyLength + String(length).length) length = bodyLength + String(length).length;
    return `${length}${body}`;
  });
  return Buffer.from(records.join(''), 'utf8');
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function asciiPrefix(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}
