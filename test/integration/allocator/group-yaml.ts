/** `count` numbers `+1800<base + i>` (seven digits after 1800). */
export function tollFreeNumbers(count: number, base: number): string[] {
  return Array.from({ length: count }, (_, i) => `+1800${String(base + i).padStart(7, '0')}`);
}

/** A pool entry of `groupYaml`: a number, or a number with its reserved flag. */
export type PoolLine = string | { number: string; reserved?: boolean };

/**
 * A ClickToCallInGroup document for a groups folder, ending with its `---` separator: the pool, the
 * expiry, and `extra` spec lines (indented two spaces, e.g. `  uniqueDnis: true`).
 */
export function groupYaml(
  name: string,
  numbers: readonly PoolLine[],
  expirySeconds: number,
  extra = '',
): string {
  const entry = (n: PoolLine) =>
    typeof n === 'string'
      ? `{ number: '${n}' }`
      : `{ number: '${n.number}'${n.reserved === undefined ? '' : `, reserved: ${n.reserved}`} }`;
  return `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata:
  name: ${name}
spec:
  dnisPool:
${numbers.map((n) => `    - ${entry(n)}`).join('\n')}
  expirySeconds: ${expirySeconds}
${extra}
---
`;
}
