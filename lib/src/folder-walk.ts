import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** File names read as group input (YAML; JSON is YAML too). */
export const GROUP_FILE_PATTERN = /\.(ya?ml|json)$/i;
/** How deep below a given folder the walk goes. */
export const MAX_FOLDER_DEPTH = 8;

export interface FolderWalk {
  /** Group input files, each once (by real path), in sort order of the paths they were found at. */
  files: string[];
  /** Folders holding `markerFile` (e.g. a mounted group ConfigMap): not walked into, listed here. */
  marked: string[];
  /** Paths that could not be read, and symlink loops, with why. */
  problems: Array<{ path: string; message: string }>;
}

/**
 * The one way the project walks folders of group files (the CLI and the allocator alike): files and
 * folders given are expanded recursively; hidden entries (`.git`, a mounted volume's `..data`) are
 * skipped; symlinks are followed, as mounted ConfigMaps need, but a folder already being walked is
 * not entered again (a symlink loop is reported once) and a file reached twice is read once.
 */
export async function walkGroupFolders(paths: string[], markerFile?: string): Promise<FolderWalk> {
  const out: FolderWalk = { files: [], marked: [], problems: [] };
  const seenFiles = new Set<string>();
  const walk = async (dir: string, depth: number, ancestors: Set<string>): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
    } catch (err) {
      out.problems.push({ path: dir, message: `cannot be read (${codeOf(err)})` });
      return;
    }
    if (markerFile !== undefined && names.includes(markerFile)) {
      out.marked.push(dir);
      return;
    }
    for (const name of names) await visit(path.join(dir, name), depth, ancestors, false);
  };
  const visit = async (p: string, depth: number, ancestors: Set<string>, given: boolean): Promise<void> => {
    let info;
    let real;
    try {
      info = await stat(p);
      real = await realpath(p);
    } catch (err) {
      out.problems.push({ path: p, message: `cannot be read (${codeOf(err)})` });
      return;
    }
    if (info.isDirectory()) {
      if (ancestors.has(real)) {
        out.problems.push({ path: p, message: `is a symlink loop back to ${real}; not followed` });
        return;
      }
      if (depth >= MAX_FOLDER_DEPTH) {
        out.problems.push({ path: p, message: `is more than ${MAX_FOLDER_DEPTH} folders deep; not read` });
        return;
      }
      await walk(p, depth + 1, new Set([...ancestors, real]));
    } else if (info.isFile() && (given || GROUP_FILE_PATTERN.test(p)) && !seenFiles.has(real)) {
      seenFiles.add(real);
      out.files.push(p);
    }
  };
  for (const p of paths) await visit(p, -1, new Set(), true);
  return out;
}

function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? String(err);
}
