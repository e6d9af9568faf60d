import { KubeError, KubeErrorCode } from './errors.ts';
import type { KubeObject, RawWatchEvent } from './objects.ts';

/**
 * Splits text chunks into trimmed, non-empty lines. A large object arrives in many chunks, so only the
 * new chunk is scanned. An unterminated last line is an event cut off mid-way and is dropped.
 */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let pending: string[] = [];
  for await (const chunk of chunks) {
    let rest = chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      pending.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      const line = pending.join('').trim();
      pending = [];
      if (line !== '') yield line;
    }
    if (rest !== '') pending.push(rest);
  }
}

/**
 * Parses the lines of a watch stream (newline-delimited JSON) into events. An ERROR event, such as
 * 410 Expired, fails the stream with a `KubeError` carrying its status and reason.
 */
export async function* parseWatchEvents<T extends KubeObject>(
  lines: AsyncIterable<string>,
  path: string,
): AsyncGenerator<RawWatchEvent<T>> {
  for await (const line of lines) {
    let event: RawWatchEvent<T>;
    try {
      event = JSON.parse(line) as RawWatchEvent<T>;
    } catch (err) {
      throw new KubeError(KubeErrorCode.Transport, `watch ${path}: unparseable event`, { cause: err });
    }
    if (event.type === 'ERROR') {
      const s = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw new KubeError(KubeErrorCode.Api, `watch ${path}: ${s.message ?? 'error event'}`, {
        status: s.code ?? 500,
        reason: s.reason ?? '',
      });
    }
    yield event;
  }
}
