// Places in a text: an offset as line and column, and the line shown with a caret
// under the place (the way DuckDB shows where a statement is wrong).

/** Line and column (1-based) of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(offset, text.length));
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return { line, column };
}

/** Widest line shown; a longer one is cut around the place, with `...`. */
const WIDTH = 100;

/**
 * The line of `text` that holds `offset`, and a caret under the offset: as
 * `LINE n: <line>` (DuckDB's form), or after `indent` when given (the caller
 * has already said where the text is).
 */
export function pointer(text: string, offset: number, indent?: string): string {
  const { line, column } = lineColumn(text, offset);
  let shown = (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  let caret = column - 1;
  if (shown.length > WIDTH) {
    const from = Math.max(0, Math.min(caret - WIDTH / 2, shown.length - WIDTH));
    const to = from + WIDTH;
    let cut = shown.slice(from, to);
    caret -= from;
    if (from > 0) {
      cut = `...${cut}`;
      caret += 3;
    }
    if (to < shown.length) cut += '...';
    shown = cut;
  }
  const prefix = indent ?? `LINE ${line}: `;
  const pad = (prefix + shown.slice(0, caret)).replace(/[^\t]/g, ' ');
  return `${prefix}${shown}\n${pad}^`;
}
