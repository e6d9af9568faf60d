import { AllocatorCode, AllocatorError } from '../errors.ts';

/** Deepest nesting of objects and arrays a request body may have (userData included). */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses a parsed body nested deeper than {@link MAX_JSON_DEPTH}: storing or answering it would
 * overflow the stack in JSON.stringify (a 500). Iterative, so no input exhausts the stack here.
 */
export function checkJsonDepth(body: unknown): void {
  const pending: Array<[unknown, number]> = [[body, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new AllocatorError(
        AllocatorCode.InvalidInput,
        `the body is nested more than ${MAX_JSON_DEPTH} levels deep; flatten userData`,
      );
    }
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
}
