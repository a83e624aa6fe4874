// Quoting helpers: every identifier and literal that reaches DuckDB from user
// input goes through one of these. Never paste unquoted user text into SQL.

/** `"name"` with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `'text'` with embedded quotes doubled. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A DuckDB list literal of strings: `['a', 'b']`. */
export function quoteStringList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}

/** A qualified name `"a"."b"`. */
export function quoteQualified(...parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}
