// Reading a batch of source files into a temporary table, the way Auto Loader
// does: every CSV/JSON column a string unless types are hinted or inferred,
// values that do not fit their type and columns the table does not know kept
// in `_rescued_data`, rows that cannot be parsed kept aside with file, line and
// reason (they go to the table's quarantine), unreadable files reported — and
// for every file, rows read = rows kept + rows set aside.
import type { DeltaType, StructField } from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import { StrataError } from '../core/index.js';
import type { ReadOptions } from './options.js';

export type { ReadPlan } from './typed.js';
import { csvHeader } from './csv-header.js';
import { FILE_COLUMN, typedProjection, type ReadPlan } from './typed.js';
import { inferTextColumns } from './infer.js';
import { recordedFileSql } from './paths.js';
import { withMetadataJoin } from './metadata.js';
import type { Catalog } from '../catalog/index.js';
import { fixRejectedText } from './reject-text.js';
import { firstLine, readJson, readParquet } from './read-json-parquet.js';
import {
  csvSource,
  extraLinesSql,
  recoverSpanning,
  rejectedRows,
  spanningRejects,
  unreconciled,
  type Spanning,
} from './csv-reconcile.js';

export interface SourceFile {
  /** Absolute path. */
  path: string;
  size: number;
  /** Modification time, ms since the epoch. */
  modified: number;
}

export interface FileOutcome {
  /** Rows kept (they go to the table). */
  rows: number;
  /** Of those, rows with something in the rescued data column. */
  rescued: number;
  /** Rows that could not be parsed (they go to the quarantine). */
  quarantined: number;
  /** Why the file could not be read at all. */
  error?: string;
}

export interface BatchRead {
  /** Temporary view: data columns, the rescued data column, FILE_COLUMN (each row's absolute path). */
  rows: string;
  /** The temporary table under it: the files' columns as read, FILE_COLUMN (delete a file's rows here). */
  raw: string;
  /** Temporary table of rows that could not be parsed: `_source_file`, `_file_line`, `_error`, `_raw`, `_pos` (where the line starts, per DuckDB). */
  rejected: string;
  /** The data columns, typed, in order. */
  columns: StructField[];
  /** Columns the files have that the known schema does not (in first-seen order). */
  newColumns: string[];
  files: Map<string, FileOutcome>;
  cleanup: string[];
}

/**
 * Reads files into temporary tables (see BatchRead). `id` makes the temporary names unique;
 * `roots` (the project) records paths relative to it (else they stay absolute).
 */
export async function readBatch(
  session: Session,
  files: SourceFile[],
  o: ReadOptions,
  plan: ReadPlan,
  id: string,
  roots?: Pick<Catalog, 'projectDir' | 'lakeRoot'>,
): Promise<BatchRead> {
  const raw = `__strata_ingest_raw_${id}`;
  const rejected = `__strata_ingest_rej_${id}`;
  const rows = `__strata_ingest_rows_${id}`;
  const cleanup = [
    `DROP VIEW IF EXISTS temp.${quoteIdent(rows)}`,
    ...[raw, rejected].map((t) => `DROP TABLE IF EXISTS temp.${quoteIdent(t)}`),
  ];
  const outcome = new Map<string, FileOutcome>(files.map((f) => [f.path, { rows: 0, rescued: 0, quarantined: 0 }]));
  const fail = (path: string, error: string) => (outcome.get(path)!.error = error);
  await session.exec(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(rejected)} (_source_file VARCHAR, _file_line BIGINT, _error VARCHAR, _raw VARCHAR, _pos BIGINT)`,
  );

  // 1. The raw rows, every column as the file gives it (text for CSV and JSON), with each
  //    row's file and position.
  let fileColumns: { name: string; type: DeltaType; inferred?: DeltaType }[];
  if (o.format === 'csv') fileColumns = await readCsv(session, files, o, raw, rejected, fail, id);
  else if (o.format === 'json') fileColumns = await readJson(session, files, o, raw, rejected, fail);
  else fileColumns = await readParquet(session, files, raw, fail);

  const reserved = fileColumns.find((c) => c.name.toLowerCase() === FILE_COLUMN);
  if (reserved)
    throw new StrataError('USAGE', `the files have a column named ${reserved.name}, a name Strata keeps for itself`, {
      context: { column: reserved.name },
    });

  // 2. Typed columns: the known ones with their types, new ones added or rescued.
  const file = `r.${FILE_COLUMN}`;
  const typed = typedProjection(fileColumns, o, plan, roots ? recordedFileSql(roots, file) : file);
  const { columns, newColumns } = typed;
  // A view, not a copy: the rows are read twice (counts, then the write), cheaper than copied once.
  await session.exec(
    `CREATE OR REPLACE TEMP VIEW ${quoteIdent(rows)} AS SELECT ${typed.selectList}, ${file} FROM temp.${quoteIdent(raw)} AS r`,
  );

  // 3. The count of every file: rows kept, rescued, set aside.
  const kept = await session.rows<{ f: string; n: bigint; r: bigint }>(
    `SELECT ${FILE_COLUMN} AS f, count(*) AS n, count(${quoteIdent(o.rescuedDataColumn)}) AS r FROM temp.${quoteIdent(rows)} GROUP BY 1`,
  );
  for (const k of kept) {
    const f = outcome.get(k.f);
    if (f) Object.assign(f, { rows: Number(k.n), rescued: Number(k.r) });
  }
  const aside = await session.rows<{ f: string; n: bigint }>(
    `SELECT _source_file AS f, count(*) AS n FROM temp.${quoteIdent(rejected)} GROUP BY 1`,
  );
  for (const a of aside) {
    const f = outcome.get(a.f);
    if (f) f.quarantined = Number(a.n);
  }
  if (o.format === 'csv') await reconcileCsv(session, outcome, o, raw, rejected, fileColumns);
  return { rows, raw, rejected, columns, newColumns, files: outcome, cleanup };
}

/**
 * SQL: a batch's rows as they go into a table or a query — the data columns and the rescued
 * data column, and with `metadata` each row's hidden `_metadata` struct (metadata.ts).
 */
export function batchRows(
  read: Pick<BatchRead, 'rows' | 'columns'>,
  o: ReadOptions,
  files: SourceFile[],
  metadata: boolean,
  roots?: Pick<Catalog, 'projectDir' | 'lakeRoot'>,
): string {
  const names = [...read.columns.map((f) => f.name), o.rescuedDataColumn];
  const rows = `SELECT * FROM temp.${quoteIdent(read.rows)}`;
  if (metadata) return withMetadataJoin(roots, rows, names, FILE_COLUMN, files);
  return `SELECT ${names.map((n) => quoteIdent(n)).join(', ')} FROM temp.${quoteIdent(read.rows)}`;
}

/**
 * Every CSV file's lines accounted for by its rows and quarantined records (see
 * csv-reconcile.ts); a file that does not reconcile is failed, none of its rows kept.
 */
async function reconcileCsv(
  session: Session,
  outcome: Map<string, FileOutcome>,
  o: ReadOptions,
  raw: string,
  rejected: string,
  fileColumns: { name: string }[],
): Promise<void> {
  const counts = new Map([...outcome].filter(([, f]) => !f.error));
  const bad = await unreconciled(session, counts, o, rejected, new Map(), async (paths) => {
    if (fileColumns.length === 0) return new Map();
    const where = `WHERE ${FILE_COLUMN} IN (${paths.map(quoteLiteral).join(', ')})`;
    const sql = extraLinesSql(
      `temp.${quoteIdent(raw)}`,
      fileColumns.map((c) => c.name),
      where,
    );
    return new Map((await session.rows<{ f: string; n: bigint }>(sql)).map((r) => [r.f, Number(r.n ?? 0)]));
  });
  for (const [file, reason] of bad) {
    await session.exec(`DELETE FROM temp.${quoteIdent(raw)} WHERE ${FILE_COLUMN} = ${quoteLiteral(file)}`);
    await session.exec(`DELETE FROM temp.${quoteIdent(rejected)} WHERE _source_file = ${quoteLiteral(file)}`);
    Object.assign(outcome.get(file)!, { rows: 0, rescued: 0, quarantined: 0, error: reason });
  }
}

// --- CSV ---------------------------------------------------------------------

async function readCsv(
  session: Session,
  files: SourceFile[],
  o: ReadOptions,
  raw: string,
  rejected: string,
  fail: (path: string, error: string) => void,
  id: string,
): Promise<{ name: string; type: DeltaType; inferred?: DeltaType }[]> {
  // Files grouped by their header: each group is one read with its column list.
  const groups = new Map<string, { names: string[]; files: SourceFile[] }>();
  for (const f of files) {
    let names: string[] | undefined;
    try {
      names = await csvHeader(session, f, o);
    } catch (err) {
      fail(f.path, err instanceof StrataError ? err.message : `cannot read the file: ${firstLine(err)}`);
      continue;
    }
    if (!names) {
      fail(f.path, 'the file is empty');
      continue;
    }
    const key = JSON.stringify(names);
    const g = groups.get(key) ?? { names, files: [] };
    g.files.push(f);
    groups.set(key, g);
  }
  const all: string[] = [];
  for (const g of groups.values())
    for (const n of g.names) if (!all.some((a) => a.toLowerCase() === n.toLowerCase())) all.push(n);
  // Types: strings, unless inferred (DuckDB's sniffer on the group's first file).
  const types = new Map<string, DeltaType>(
    all.map((n) => [n.toLowerCase(), { kind: 'primitive', name: 'string' } as DeltaType]),
  );
  await session.exec(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(raw)} (${[...all.map((n) => `${quoteIdent(n)} VARCHAR`), `${FILE_COLUMN} VARCHAR`].join(', ')})`,
  );
  let scan = 0;
  const spanning = new Map<string, { names: string[]; found: Spanning[] }>();
  const readPart = (paths: string[], names: string[], as?: string) =>
    readCsvPart(session, { paths, names, as }, o, { raw, rejected }, `${id}_${scan++}`);
  const forget = async (file: string) => {
    await session.exec(`DELETE FROM temp.${quoteIdent(raw)} WHERE ${FILE_COLUMN} = ${quoteLiteral(file)}`);
    await session.exec(`DELETE FROM temp.${quoteIdent(rejected)} WHERE _source_file = ${quoteLiteral(file)}`);
  };
  for (const g of groups.values()) {
    // Try the whole group in one read; if a file is unreadable, read them one by one.
    const attempt = async (part: SourceFile[]): Promise<void> => {
      try {
        const found = await readPart(
          part.map((f) => f.path),
          g.names,
        );
        for (const s of found) {
          const entry = spanning.get(s.file) ?? { names: g.names, found: [] };
          entry.found.push(s);
          spanning.set(s.file, entry);
        }
      } catch (err) {
        if (part.length === 1) {
          await forget(part[0].path);
          fail(part[0].path, `cannot read the file: ${firstLine(err)}`);
        } else {
          for (const f of part) await attempt([f]);
        }
      }
    };
    await attempt(g.files);
  }
  // A record that swallowed lines (a stray quote): its first line aside, the rest read again.
  for (const [file, { names, found }] of spanning) {
    try {
      await recoverSpanning(session, file, found, o, { raw, rejected }, (copy) => readPart([copy], names, file));
    } catch (err) {
      await forget(file);
      fail(file, `cannot read the file: ${firstLine(err)}`);
    }
  }
  await fixRejectedText(session, rejected, o);
  // Spark's inference, over every row read (inferColumnTypes).
  if (o.inferColumnTypes)
    for (const [name, type] of await inferTextColumns(session, `temp.${quoteIdent(raw)}`, all, o))
      types.set(name, type);
  // Read as text; an inferred type is what the column becomes (values that do not convert are rescued).
  return all.map((name) => ({
    name,
    type: { kind: 'primitive', name: 'string' } as DeltaType,
    inferred: types.get(name.toLowerCase()),
  }));
}

/**
 * Reads CSV files (or a copy of one, `as` naming the file) into the raw and rejected tables;
 * returns the rejected records that span several lines (a stray quote's).
 */
async function readCsvPart(
  session: Session,
  part: { paths: string[]; names: string[]; as?: string },
  o: ReadOptions,
  tables: { raw: string; rejected: string },
  tag: string,
): Promise<Spanning[]> {
  const { paths, names, as } = part;
  const [rejTable, rejScan] = [`__strata_rej_${tag}`, `__strata_rejscan_${tag}`];
  const source = csvSource(paths, names, o, rejTable, rejScan);
  try {
    const cols = `${names.map((n) => quoteIdent(n)).join(', ')}, ${as ? quoteLiteral(as) : FILE_COLUMN} AS ${FILE_COLUMN}`;
    await session.exec(`INSERT INTO temp.${quoteIdent(tables.raw)} BY NAME SELECT ${cols} FROM ${source}`);
    // Rows DuckDB could not parse: one entry per bad line (it may report a line twice).
    await session.exec(`INSERT INTO temp.${quoteIdent(tables.rejected)} ${rejectedRows(rejTable, rejScan, as)}`);
    return (await spanningRejects(session, rejTable, rejScan)).map((r) => ({ ...r, file: as ?? r.file }));
  } finally {
    await session.exec(`DROP TABLE IF EXISTS ${quoteIdent(rejTable)}`).catch(() => undefined);
    await session.exec(`DROP TABLE IF EXISTS ${quoteIdent(rejScan)}`).catch(() => undefined);
  }
}
