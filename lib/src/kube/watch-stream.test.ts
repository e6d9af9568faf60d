import { describe, expect, it } from 'vitest';
import { KubeError, KubeErrorCode, isGone } from './errors.ts';
import { parseWatchEvents, splitLines } from './watch-stream.ts';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('splitLines', () => {
  it('joins lines split across chunks and splits chunks holding several lines', async () => {
    expect(await collect(splitLines(chunks('{"a"', ':1}\n{"b":2}\n{', '"c":3}\n')))).toEqual([
      '{"a":1}',
      '{"b":2}',
      '{"c":3}',
    ]);
  });

  it('skips blank lines and trims carriage returns', async () => {
    expect(await collect(splitLines(chunks('\n  \r\n{"a":1}\r\n\n')))).toEqual(['{"a":1}']);
  });

  it('drops an unterminated last line: an event cut off when the stream ended', async () => {
    expect(await collect(splitLines(chunks('{"a":1}\n{"b":')))).toEqual(['{"a":1}']);
  });
});

describe('parseWatchEvents', () => {
  const object = { metadata: { name: 'cm', resourceVersion: '7' } };

  it('parses each line into an event', async () => {
    const lines = chunks(
      JSON.stringify({ type: 'ADDED', object }),
      JSON.stringify({ type: 'BOOKMARK', object }),
    );
    expect(await collect(parseWatchEvents(lines, '/api/v1/configmaps'))).toEqual([
      { type: 'ADDED', object },
      { type: 'BOOKMARK', object },
    ]);
  });

  it('fails with the status of an ERROR event, after the events before it', async () => {
    const expired = {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 1 (5)',
    };
    const lines = chunks(
      JSON.stringify({ type: 'ADDED', object }),
      JSON.stringify({ type: 'ERROR', object: expired }),
    );
    const seen: string[] = [];
    const error = await (async () => {
      for await (const e of parseWatchEvents(lines, '/api/v1/configmaps')) seen.push(e.type);
    })().catch((err: unknown) => err);
    expect(seen).toEqual(['ADDED']);
    expect(isGone(error)).toBe(true);
    expect(error).toMatchObject({
      code: KubeErrorCode.Api,
      reason: 'Expired',
      message: 'watch /api/v1/configmaps: too old resource version: 1 (5)',
    });
  });

  it('fails with a transport error on a line that is not JSON', async () => {
    const error = await collect(parseWatchEvents(chunks('{"type":'), '/w')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ code: KubeErrorCode.Transport, status: 0 });
  });
});
