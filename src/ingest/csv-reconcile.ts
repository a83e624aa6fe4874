// Every CSV file reconciles: the records loaded and quarantined account for its
// lines. A stray quote opens a quoted field that DuckDB's reader runs on to the
// next quote or the end of the file, swallowing every line in between into one
// rejected record. Such a record (rejected, spanning several lines) is cut down
// to its first line — quarantined, with its physical line number — and the
// lines after it are read again, from a copy of the file with that line blanked
// out (as Spark does with multiLine = false, where a record is one line). Then
// each file's non-empty lines are counted and compared with its records (a
// quoted field over several lines counts its lines): a file that still does not
// reconcile is failed with the counts, never loaded in part.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { quoteIdent, quoteLiteral, quoteStringList, type Session } from '../engine/index.js';
import type { ReadOptions } from './options.js';
import { FILE_COLUMN } from './typed.js';

/** read_csv options that return each physical line as one text column (mixed line ends allowed). */
export const LINE = `auto_detect = false, header = false, columns = {'l': 'VARCHAR'}, delim = E'\\x01', quote = '', escape = '', filename = true, strict_mode = false`;

/**
 * read_csv over files with one column list (all text) and each row's file as FILE_COLUMN
 * (`withFile`: false leaves it out), parse errors kept in the given rejects tables.
 */
export function csvSource(
  paths: string[],
  names: string[],
  o: ReadOptions,
  rejTable: string,
  rejScan: string,
  withFile = true,
): string {
  const columns = `{${names.map((n) => `${quoteLiteral(n)}: 'VARCHAR'`).join(', ')}}`;
  return `read_csv(${quoteStringList(paths)}, auto_detect = false, header = ${o.header}, delim = ${quoteLiteral(o.delimiter)},
    quote = ${quoteLiteral(o.quote)}, escape = ${quoteLiteral(o.escape)}, encoding = ${quoteLiteral(o.encoding)}, columns = ${columns},
    filename = ${withFile ? quoteLiteral(FILE_COLUMN) : 'false'}, store_rejects = true, rejects_table = ${quoteLiteral(rejTable)}, rejects_scan = ${quoteLiteral(rejScan)}, max_line_size = 10000000)`;
}

/**
 * Rows of a rejects table pair as quarantine rows (one per bad line; DuckDB may report a line
 * twice); `fileAs` names the file when the scan read a copy of it (its positions, `_pos`, are
 * then the copy's: left out).
 */
export function rejectedRows(rejTable: string, rejScan: string, fileAs?: string): string {
  return `SELECT ${fileAs ? quoteLiteral(fileAs) : 's.file_path'} AS _source_file, e.line::BIGINT AS _file_line, string_agg(DISTINCT e.error_message, '; ') AS _error, trim(any_value(e.csv_line), chr(13) || chr(10)) AS _raw,
    ${fileAs ? 'NULL' : 'min(e.line_byte_position)'}::BIGINT AS _pos
    FROM ${quoteIdent(rejTable)} AS e JOIN ${quoteIdent(rejScan)} AS s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
    GROUP BY s.file_path, e.line::BIGINT`;
}

/** A rejected record that spans several lines: where it starts (DuckDB's line_byte_position) and why. */
export interface Spanning {
  file: string;
  position: number;
  error: string;
}

/** The rejected records of a rejects table pair that span several lines (a stray quote's). */
export async function spanningRejects(session: Session, rejTable: string, rejScan: string): Promise<Spanning[]> {
  const found = await session.rows<{ f: string; p: bigint; e: string }>(
    `SELECT s.file_path AS f, min(e.line_byte_position)::BIGINT AS p, string_agg(DISTINCT e.error_message, '; ') AS e
     FROM ${quoteIdent(rejTable)} AS e JOIN ${quoteIdent(rejScan)} AS s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
     GROUP BY s.file_path, e.line HAVING regexp_matches(trim(any_value(e.csv_line), chr(13) || chr(10)), '[\\r\\n]')`,
  );
  return found.map((r) => ({ file: r.f, position: Number(r.p), error: r.e }));
}

/** A line cut out of a file: the offset asked for, its number (1-based, the header is line 1) and text. */
export interface CutLine {
  start: number;
  line: number;
  text: string;
}

/** Rounds of cutting and reading again before a file is left to the count (each round cuts every spanning record found). */
const MAX_ROUNDS = 100;

/**
 * Recovers the lines a file's spanning records swallowed: each one's first line is cut out
 * (kept as a quarantine row in `rejected`), and `reread` reads the rest again from a copy,
 * returning the copy's own spanning records, until there are none. UTF-8 files only (the
 * byte positions are DuckDB's); for others the count fails the file.
 */
export async function recoverSpanning(
  session: Session,
  file: string,
  spanning: Spanning[],
  o: ReadOptions,
  tables: { raw: string; rejected: string },
  reread: (copy: string) => Promise<Spanning[]>,
): Promise<void> {
  if (o.encoding !== 'utf-8' || /\.(zst|zstd|bz2|xz|lz4)$/i.test(file)) return;
  const copies: string[] = [];
  const cut: (CutLine & { error: string })[] = [];
  try {
    let source = file;
    for (let round = 0; spanning.length > 0 && round < MAX_ROUNDS; round++) {
      const copy = path.join(os.tmpdir(), `strata-recut-${randomUUID()}.csv`);
      copies.push(copy);
      const errors = new Map(spanning.map((s) => [s.position - 1, s.error]));
      const lines = await cutLines(source, copy, [...errors.keys()]);
      cut.push(...lines.map((l) => ({ ...l, error: errors.get(l.start) ?? 'the record spans lines' })));
      await session.exec(`DELETE FROM temp.${quoteIdent(tables.raw)} WHERE ${FILE_COLUMN} = ${quoteLiteral(file)}`);
      await session.exec(`DELETE FROM temp.${quoteIdent(tables.rejected)} WHERE _source_file = ${quoteLiteral(file)}`);
      spanning = await reread(copy);
      source = copy;
    }
    for (const c of cut) {
      const reason = `${c.error} (the record ran on past this line: the line is set aside, the lines after it are read again)`;
      await session.exec(
        `INSERT INTO temp.${quoteIdent(tables.rejected)} VALUES (${quoteLiteral(file)}, ${c.line}, ${quoteLiteral(reason)}, ${quoteLiteral(c.text)}, NULL)`,
      );
    }
  } finally {
    for (const c of copies) await fs.rm(c, { force: true });
  }
}

/**
 * Copies `src` (gunzipped if .gz) to `dest` with the lines starting at the given byte offsets
 * made empty (their line ends kept: line numbers stay, DuckDB's reader skips empty lines). An
 * offset on a line end (DuckDB's position of a line after CRLF) means the line after it.
 */
export async function cutLines(src: string, dest: string, starts: number[]): Promise<CutLine[]> {
  const targets = [...new Set(starts)].sort((a, b) => a - b);
  const found: CutLine[] = [];
  let offset = 0;
  let line = 1;
  let t = 0;
  let state: 'copy' | 'seek' | 'cut' = 'copy';
  let text: Buffer[] = [];
  let start = 0;
  const isEnd = (b: number) => b === 10 || b === 13;
  async function* cutter(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      const keep: Buffer[] = [];
      let i = 0;
      while (i < chunk.length) {
        if (state === 'copy') {
          const end = t < targets.length ? Math.max(i, Math.min(chunk.length, targets[t] - offset)) : chunk.length;
          line += newlines(chunk, i, end);
          keep.push(chunk.subarray(i, end));
          i = end;
          if (t >= targets.length || offset + i < targets[t]) continue;
          start = targets[t];
          while (t < targets.length && targets[t] <= offset + i) t++;
          state = 'seek';
        } else if (state === 'seek') {
          if (isEnd(chunk[i])) {
            if (chunk[i] === 10) line++;
            keep.push(chunk.subarray(i, i + 1));
            i++;
          } else [state, text] = ['cut', []];
        } else {
          let e = i;
          while (e < chunk.length && !isEnd(chunk[e])) e++;
          text.push(chunk.subarray(i, e));
          i = e;
          if (i < chunk.length) {
            found.push({ start, line, text: Buffer.concat(text).toString('utf8') });
            // Offsets inside the cut line were part of it.
            while (t < targets.length && targets[t] <= offset + i) t++;
            state = 'copy';
          }
        }
      }
      offset += chunk.length;
      yield Buffer.concat(keep);
    }
    if (state === 'cut') found.push({ start, line, text: Buffer.concat(text).toString('utf8') });
  }
  const input = createReadStream(src);
  await pipeline(/\.gz$/i.test(src) ? input.pipe(zlib.createGunzip()) : input, cutter, createWriteStream(dest));
  return found;
}

function newlines(chunk: Buffer, from: number, to: number): number {
  let n = 0;
  for (let p = chunk.indexOf(10, from); p !== -1 && p < to; p = chunk.indexOf(10, p + 1)) n++;
  return n;
}

/** Per file: its rows and quarantined records. */
export interface FileCounts {
  rows: number;
  quarantined: number;
}

/**
 * Files whose lines their records do not account for, with the reason. A file's non-empty
 * lines (after the header) must be its records (rows + quarantined) plus the extra lines of
 * records whose quoted fields span lines (`extraLines`, asked only for files that differ).
 * `rejected` (_source_file, _file_line) names the first rejected record in the reason.
 */
export async function unreconciled(
  session: Session,
  counts: Map<string, FileCounts>,
  o: ReadOptions,
  rejected: string,
  /** Each file's non-empty lines, when counted already (hashFile, while the file was read). */
  counted: Map<string, number>,
  extraLines: (paths: string[]) => Promise<Map<string, number>>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (counts.size === 0) return out;
  const lines = await dataLines(session, [...counts.keys()], o, counted);
  const differ = [...counts].filter(([f, c]) => lines.has(f) && lines.get(f) !== c.rows + c.quarantined);
  if (differ.length === 0) return out;
  const extra = await extraLines(differ.map(([f]) => f));
  const first = new Map(
    (
      await session.rows<{ f: string; l: bigint }>(
        `SELECT _source_file AS f, min(_file_line) AS l FROM temp.${quoteIdent(rejected)} GROUP BY 1`,
      )
    ).map((r) => [r.f, Number(r.l)]),
  );
  for (const [f, c] of differ) {
    const n = lines.get(f)!;
    const accounted = c.rows + c.quarantined + (extra.get(f) ?? 0);
    if (n === accounted) continue;
    const hint = first.has(f) ? `; the first rejected record is at line ${first.get(f)}` : '';
    out.set(
      f,
      `${f}: ${n} lines of data, but ${c.rows} rows + ${c.quarantined} quarantined account for ${accounted} (${n - accounted} lines unaccounted for${hint}); the file is not loaded`,
    );
  }
  return out;
}

/**
 * Each file's non-empty lines after the header: counted already (line ends are the same bytes in
 * UTF-8 and latin-1), or in one cheap pass (DuckDB's reader, lines as text).
 */
async function dataLines(
  session: Session,
  paths: string[],
  o: ReadOptions,
  counted: Map<string, number>,
): Promise<Map<string, number>> {
  const header = o.header ? 1 : 0;
  if (o.encoding !== 'utf-16' && paths.every((p) => counted.has(p)))
    return new Map(paths.map((p) => [p, Math.max(0, counted.get(p)! - header)]));
  const found = await session
    .rows<{ f: string; n: bigint }>(
      `SELECT filename AS f, count(l) AS n FROM read_csv(${quoteStringList(paths)}, ${LINE}, encoding = ${quoteLiteral(o.encoding)}, max_line_size = 10000000) GROUP BY 1`,
    )
    .catch(() => []); // not countable: the read itself reports what is wrong
  return new Map(found.map((r) => [r.f, Math.max(0, Number(r.n) - (o.header ? 1 : 0))]));
}

/** SQL: per FILE_COLUMN, the extra lines of records whose values span lines (runs of line ends in them). */
export function extraLinesSql(relation: string, names: string[], where = ''): string {
  const text = names.length === 1 ? quoteIdent(names[0]) : `concat_ws(chr(1), ${names.map(quoteIdent).join(', ')})`;
  return `SELECT ${FILE_COLUMN} AS f, sum(len(regexp_extract_all(${text}, '[\\r\\n]+')))::BIGINT AS n FROM ${relation} ${where} GROUP BY 1`;
}
