/** An ECMAScript IdentifierName: a letter (any script), `$` or `_`, then letters, digits, `$`, `_`. */
const IDENTIFIER_NAME = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;

export function isIdentifierName(key: string): boolean {
  return IDENTIFIER_NAME.test(key);
}

/**
 * GES user data: only top-level keys that are JavaScript identifiers are kept, the others are
 * dropped (as GES does, since they are attached to the call as key-value pairs). Nested values are
 * kept whole.
 */
export function gesUserData(userData: Record<string, unknown>): {
  kept: Record<string, unknown>;
  ignored: number;
} {
  const kept: Record<string, unknown> = {};
  let ignored = 0;
  for (const [key, value] of Object.entries(userData)) {
    if (isIdentifierName(key)) kept[key] = value;
    else ignored++;
  }
  return { kept, ignored };
}
