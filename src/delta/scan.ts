// A scan turns a snapshot into one DuckDB query over its live Parquet files:
// data columns read (and renamed, under column mapping) from the files,
// partition values injected as typed constants, deleted rows of deletion
// vectors anti-joined away, and each column cast to its Delta type.
//
// Files with equal partition values are read by one read_parquet call, and the
// groups are combined with UNION ALL, so DuckDB folds a filter on a partition
// column to FALSE for other groups and never opens their files. Tables with
// many partitions are read in one call and joined to a small table of partition
// values instead, where our own pruning (prune.ts) does the skipping.
//
// DuckDB opens the data files by path: the canonical path of each file (for a
// LocalStore, its localPath). A remote store will need a staging step here (or
// DuckDB's own remote reads); checking that the files exist and reading
// deletion vectors go through the ObjectStore already.
import { StrataError } from '../core/index.js';
import { quoteIdent, quoteLiteral, quoteStringList, type Session } from '../engine/index.js';
import type { AddAction } from './actions.js';
import { readDeletionVectorRuns } from './deletion-vector.js';
import { partitionLiteral } from './partition-values.js';
import { canonicalPath, fileObject } from './replay.js';
import {
  duckdbType,
  fieldId,
  isVoid,
  physicalName,
  type ColumnMappingMode,
  type DeltaType,
  type StructField,
} from './schema.js';
import type { Snapshot } from './snapshot.js';

/** Above this many partition groups, read in one call and join partition values. */
const MAX_UNION_GROUPS = 32;
/** A deletion vector of at most this many runs of rows is applied as a filter, not a join. */
const MAX_INLINE_RUNS = 64;

export interface ScanPlan {
  /** A SELECT producing the table's rows with its logical column names and types. */
  sql: string;
  /** Temporary objects to drop when the query is done. */
  cleanup: string[];
  filesTotal: number;
  filesScanned: number;
  /** With `withFile`: the data file (absolute path) of each `_strata_file` id. */
  fileIds: string[];
}

export interface ScanOptions {
  /** Files to read (default: all live files); pruning happens before. */
  files?: AddAction[];
  /** A unique id for temporary objects of this scan. */
  id: string;
  /**
   * Add two last columns: `_strata_file`, the id of each row's data file (an
   * INTEGER; `fileIds` maps it to the path — cheaper to carry than the path),
   * and `_strata_row`, its row number in the file.
   */
  withFile?: boolean;
}

/** The columns `withFile` adds. */
export const FILE_COLUMN = '_strata_file';
export const ROW_COLUMN = '_strata_row';

interface ReadUnit {
  files: AddAction[];
  paths: string[];
  partition: Record<string, string | null>;
  /** Filtered through the deletion-vector table. */
  withDv: boolean;
  /** A single file whose deletion vector is this filter on the row number. */
  inlineFilter?: string;
}

/** Plans the query that reads a snapshot. May create temporary tables (see cleanup). */
export async function planScan(snapshot: Snapshot, session: Session, options: ScanOptions): Promise<ScanPlan> {
  const files = options.files ?? snapshot.files;
  const fields = snapshot.schema.fields;
  const partitionSet = new Set(snapshot.partitionColumns);
  const cleanup: string[] = [];
  const fileIds: string[] = [];
  const plan = (sql: string): ScanPlan => ({
    sql,
    cleanup,
    filesTotal: snapshot.files.length,
    filesScanned: files.length,
    fileIds,
  });
  // The file columns of one read_parquet over `paths`: DuckDB's file_index counts from 0 in the list.
  const fileCols = (paths: string[]) => {
    if (!options.withFile) return '';
    const offset = fileIds.length;
    fileIds.push(...paths);
    return `, (${offset} + __f.file_index)::INTEGER AS ${FILE_COLUMN}, __f.file_row_number AS ${ROW_COLUMN}`;
  };
  if (files.length === 0) {
    const cols = fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`);
    if (options.withFile) cols.push(`CAST(NULL AS INTEGER) AS ${FILE_COLUMN}`, `CAST(NULL AS BIGINT) AS ${ROW_COLUMN}`);
    return plan(`SELECT ${cols.join(', ') || '1 AS "__empty"'} WHERE FALSE`);
  }
  const localPath = (add: AddAction) => canonicalPath(snapshot.store.root, add.path);
  await checkFilesExist(snapshot, files);

  const mode = snapshot.columnMapping;
  const partKey = (f: StructField) => physicalName(f, mode);
  const partFields = fields.filter((f) => partitionSet.has(f.name));
  const partitionOf = (add: AddAction) => {
    const partition: Record<string, string | null> = {};
    for (const f of partFields) partition[f.name] = add.partitionValues?.[partKey(f)] ?? null;
    return partition;
  };
  const groupKey = (add: AddAction) => JSON.stringify([partitionOf(add), Boolean(add.deletionVector)]);
  // Deletion vectors, as runs of consecutive deleted rows. A file with few runs is read on
  // its own with the runs as a filter; the others are anti-joined to a table of their rows.
  const dvFiles = files.filter((f) => f.deletionVector);
  const runsOf = new Map<AddAction, [number, number][]>();
  await Promise.all(
    dvFiles.map(async (f) =>
      runsOf.set(f, await readDeletionVectorRuns(snapshot.store, f.deletionVector!, snapshot.table)),
    ),
  );
  const groups = new Set(files.map(groupKey)).size;
  let inlineBudget = groups <= MAX_UNION_GROUPS || partFields.length === 0 ? MAX_UNION_GROUPS - groups : 0;
  const inline = new Map<AddAction, string>();
  for (const f of dvFiles) {
    const runs = runsOf.get(f)!;
    if (inlineBudget <= 0 || runs.length > MAX_INLINE_RUNS) continue;
    inline.set(
      f,
      runs
        .map(([lo, hi]) =>
          lo === hi ? `__f.file_row_number <> ${lo}` : `__f.file_row_number NOT BETWEEN ${lo} AND ${hi}`,
        )
        .join(' AND '),
    );
    inlineBudget--;
  }
  const units = new Map<string, ReadUnit>();
  for (const add of files) {
    const filter = inline.get(add);
    const key = filter === undefined ? groupKey(add) : `${groupKey(add)}\u0000${add.path}`;
    const unit = units.get(key) ?? {
      files: [],
      paths: [],
      partition: partitionOf(add),
      withDv: Boolean(add.deletionVector) && filter === undefined,
      inlineFilter: filter,
    };
    unit.files.push(add);
    unit.paths.push(localPath(add));
    units.set(key, unit);
  }

  let dvTable: string | undefined;
  const joined = dvFiles.filter((f) => !inline.has(f));
  if (joined.length > 0) {
    dvTable = `__strata_dv_${options.id}`;
    await loadDeletionVectors(
      session,
      dvTable,
      joined.map((f) => ({ path: localPath(f), runs: runsOf.get(f)! })),
    );
    cleanup.push(`DROP TABLE IF EXISTS temp.${quoteIdent(dvTable)}`);
  }

  // One look at every file's footer (cached by DuckDB for the scan itself).
  const shapes = await inspectFiles(
    session,
    files.map((f) => ({ path: localPath(f), key: `${localPath(f)}\u0000${f.size}\u0000${f.modificationTime}` })),
    snapshot.table,
  );
  if (units.size <= MAX_UNION_GROUPS || partFields.length === 0) {
    const branches: string[] = [];
    for (const unit of units.values()) {
      const { physical, names } = unitShape(shapes, unit.paths, mode);
      const cols = fields.map((f) => {
        const expr = partitionSet.has(f.name)
          ? partitionLiteral(unit.partition[f.name], f.type, snapshot.table, f.name)
          : dataColumn(f, names, physical);
        return `${expr} AS ${quoteIdent(f.name)}`;
      });
      branches.push(
        `SELECT ${cols.join(', ')}${fileCols(unit.paths)} FROM ${readParquet(unit.paths, unit.withDv, unit.withDv || unit.inlineFilter !== undefined || Boolean(options.withFile))} AS __f${unit.inlineFilter ? ` WHERE ${unit.inlineFilter}` : dvFilter(unit.withDv, dvTable)}`,
      );
    }
    return plan(branches.join('\nUNION ALL\n'));
  }

  // Many partitions: one read, joined to the partition values by file name.
  const pvTable = `__strata_pv_${options.id}`;
  await loadPartitionValues(session, pvTable, partFields, [...units.values()], snapshot.table);
  cleanup.push(`DROP TABLE IF EXISTS temp.${quoteIdent(pvTable)}`);
  const branches: string[] = [];
  for (const withDv of [false, true]) {
    const parts = [...units.values()].filter((u) => u.withDv === withDv);
    if (parts.length === 0) continue;
    const paths = parts.flatMap((u) => u.paths);
    const { physical, names } = unitShape(shapes, paths, mode);
    const cols = fields.map(
      (f) =>
        `${partitionSet.has(f.name) ? `__pv.${quoteIdent(f.name)}` : dataColumn(f, names, physical)} AS ${quoteIdent(f.name)}`,
    );
    branches.push(
      `SELECT ${cols.join(', ')}${fileCols(paths)} FROM ${readParquet(paths, true, true)} AS __f JOIN temp.${quoteIdent(pvTable)} AS __pv ON __pv.__file = __f.filename${dvFilter(withDv, dvTable)}`,
    );
  }
  return plan(branches.join('\nUNION ALL\n'));
}

function readParquet(paths: string[], withFilename: boolean, withRowNumber: boolean): string {
  const extra = `${withFilename ? ', filename = true' : ''}${withRowNumber ? ', file_row_number = true' : ''}`;
  return `read_parquet(${quoteStringList(paths)}, union_by_name = true, hive_partitioning = false${extra})`;
}

function dvFilter(withDv: boolean, dvTable: string | undefined): string {
  if (!withDv || !dvTable) return '';
  return ` WHERE NOT EXISTS (SELECT 1 FROM temp.${quoteIdent(dvTable)} AS __dv WHERE __dv.path = __f.filename AND __dv.row_index = __f.file_row_number)`;
}

/** What a scan needs to know of one data file's Parquet schema. */
interface FileShape {
  /** Top-level column name → whether it holds zone-less timestamps (INT96, or not UTC-adjusted). */
  columns: Map<string, boolean>;
  /** Struct field ids by path of ids from the top ('/3', '/3/7') → name in the file. */
  ids: Map<string, string>;
}

/** Reads the Parquet schemas of all files in one query. */
/**
 * Shapes already read, by path, size and modification time: a Delta data file
 * never changes once written, so its footer need not be read twice.
 */
const shapeCache = new Map<string, FileShape>();
const SHAPE_CACHE_LIMIT = 20_000;

async function inspectFiles(
  session: Session,
  files: { path: string; key: string }[],
  table: string,
): Promise<Map<string, FileShape>> {
  const out = new Map<string, FileShape>();
  const missing = files.filter((f) => {
    const hit = shapeCache.get(f.key);
    if (hit) out.set(f.path, hit);
    return !hit;
  });
  if (missing.length === 0) return out;
  const read = await readShapes(
    session,
    missing.map((f) => f.path),
    table,
  );
  for (const f of missing) {
    const shape = read.get(f.path);
    if (!shape) continue;
    out.set(f.path, shape);
    if (shapeCache.size >= SHAPE_CACHE_LIMIT) shapeCache.delete(shapeCache.keys().next().value!);
    shapeCache.set(f.key, shape);
  }
  return out;
}

async function readShapes(session: Session, paths: string[], table: string): Promise<Map<string, FileShape>> {
  let rows: {
    file_name: string;
    name: string;
    type: string | null;
    logical_type: string | null;
    num_children: bigint | null;
    field_id: bigint | null;
  }[];
  try {
    rows = await session.rows(
      `SELECT file_name, name, type, logical_type, num_children, field_id FROM parquet_schema(${quoteStringList([...new Set(paths)])})`,
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new StrataError('STORAGE', `table ${table}: cannot read data files: ${reason}`, {
      cause: err,
      context: { table },
    });
  }
  const out = new Map<string, FileShape>();
  let i = 0;
  // Pre-order walk of each file's schema tree; each file starts with its root.
  const walk = (shape: FileShape, parentPath: string, children: number, depth: number, idPath: boolean): void => {
    for (let c = 0; c < children && i < rows.length; c++) {
      const row = rows[i++];
      const id = row.field_id === null ? undefined : String(row.field_id);
      const path = id === undefined ? undefined : `${parentPath}/${id}`;
      if (depth === 1) {
        const naive = row.type === 'INT96' || /isAdjustedToUTC=(0|false)/i.test(row.logical_type ?? '');
        shape.columns.set(row.name, naive);
      }
      if (path !== undefined && idPath) shape.ids.set(path, row.name);
      // Only plain struct nesting keeps field-id paths; list and map wrappers end them.
      walk(shape, path ?? `${parentPath}/?`, Number(row.num_children ?? 0), depth + 1, idPath && path !== undefined);
    }
  };
  while (i < rows.length) {
    const root = rows[i++];
    const shape: FileShape = { columns: new Map(), ids: new Map() };
    out.set(root.file_name, shape);
    walk(shape, '', Number(root.num_children ?? 0), 1, true);
  }
  return out;
}

/**
 * The name a field has in a group of data files. Without column mapping it is
 * the field's name; in name mode its physical name; in id mode the name of the
 * Parquet field that carries its field id (falling back to the physical name).
 */
type NameResolver = (field: StructField, parentPath: string) => string;

/** Columns present in a group of files (name → zone-less timestamp?) and how to name fields. */
function unitShape(
  shapes: Map<string, FileShape>,
  paths: string[],
  mode: ColumnMappingMode,
): { physical: Map<string, boolean>; names: NameResolver } {
  const physical = new Map<string, boolean>();
  const ids = new Map<string, string>();
  for (const p of paths) {
    const shape = shapes.get(p);
    if (!shape) continue;
    for (const [name, naive] of shape.columns) physical.set(name, (physical.get(name) ?? false) || naive);
    for (const [idPath, name] of shape.ids) if (!ids.has(idPath)) ids.set(idPath, name);
  }
  const names: NameResolver =
    mode === 'id'
      ? (field, parentPath) => {
          const id = fieldId(field);
          return (id === undefined ? undefined : ids.get(`${parentPath}/${id}`)) ?? physicalName(field, mode);
        }
      : (field) => physicalName(field, mode);
  return { physical, names };
}

/**
 * The expression that yields a data column with its Delta name and type. A
 * cast to the type the column already has is free (DuckDB drops it), so every
 * column is cast: that is what widens types of older files.
 */
function dataColumn(field: StructField, names: NameResolver, physical: Map<string, boolean>): string {
  const target = duckdbType(field.type);
  // void holds only NULLs, and Spark writes no Parquet column for it (a file may lack it).
  if (isVoid(field.type)) return `CAST(NULL AS ${target})`;
  const name = names(field, '');
  const naive = physical.get(name);
  if (naive === undefined) return `CAST(NULL AS ${target})`; // added after these files were written
  const source = `__f.${quoteIdent(name)}`;
  const path = `/${fieldId(field) ?? '?'}`;
  if (needsRename(field.type, names, path)) return `CAST(${renamed(source, field.type, names, path, 0)} AS ${target})`;
  if (naive && field.type.kind === 'primitive' && field.type.name === 'timestamp') {
    // INT96 and other zone-less Parquet timestamps hold UTC instants.
    return `timezone('UTC', CAST(${source} AS TIMESTAMP))`;
  }
  return `CAST(${source} AS ${target})`;
}

/** Whether a nested type has fields whose names in the files differ from their names. */
function needsRename(type: DeltaType, names: NameResolver, path: string): boolean {
  switch (type.kind) {
    case 'struct':
      return type.fields.some(
        (f) => names(f, path) !== f.name || needsRename(f.type, names, `${path}/${fieldId(f) ?? '?'}`),
      );
    case 'array':
      return needsRename(type.elementType, names, `${path}/?`);
    case 'map':
      return needsRename(type.keyType, names, `${path}/?`) || needsRename(type.valueType, names, `${path}/?`);
    default:
      return false;
  }
}

/** Rebuilds a nested value with logical field names from the one in the files. */
function renamed(source: string, type: DeltaType, names: NameResolver, path: string, depth: number): string {
  if (!needsRename(type, names, path)) return source;
  const v = `__e${depth}`;
  switch (type.kind) {
    case 'struct': {
      const fields = type.fields.map((f) => {
        if (isVoid(f.type)) return `${quoteIdent(f.name)} := CAST(NULL AS ${duckdbType(f.type)})`; // no such field in the files
        const inner = `${source}.${quoteIdent(names(f, path))}`;
        return `${quoteIdent(f.name)} := ${renamed(inner, f.type, names, `${path}/${fieldId(f) ?? '?'}`, depth + 1)}`;
      });
      return `CASE WHEN ${source} IS NULL THEN NULL ELSE struct_pack(${fields.join(', ')}) END`;
    }
    case 'array':
      return `list_transform(${source}, lambda ${v}: ${renamed(v, type.elementType, names, `${path}/?`, depth + 1)})`;
    case 'map':
      return `map_from_entries(list_transform(map_entries(${source}), lambda ${v}: {'key': ${renamed(`${v}.key`, type.keyType, names, `${path}/?`, depth + 1)}, 'value': ${renamed(`${v}.value`, type.valueType, names, `${path}/?`, depth + 1)}}))`;
    default:
      return source;
  }
}

async function checkFilesExist(snapshot: Snapshot, files: AddAction[]): Promise<void> {
  const batch = 64;
  const exists = async (add: AddAction): Promise<boolean> => {
    try {
      const at = fileObject(snapshot.store, add.path);
      return (await at.store.head(at.key)) !== undefined;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < files.length; i += batch) {
    const slice = files.slice(i, i + batch);
    const found = await Promise.all(slice.map(exists));
    const j = found.indexOf(false);
    const missing = j < 0 ? undefined : canonicalPath(snapshot.store.root, slice[j].path);
    if (missing) {
      throw new StrataError(
        'STORAGE',
        `table ${snapshot.table} version ${snapshot.version}: data file ${missing} is missing (deleted outside Delta, or vacuumed while still referenced)`,
        { context: { table: snapshot.table, version: snapshot.version, file: missing } },
      );
    }
  }
}

/** The deleted rows of files, as (path, row index), sent as runs in one string ('lo-hi,...') that DuckDB expands. */
async function loadDeletionVectors(
  session: Session,
  table: string,
  files: { path: string; runs: [number, number][] }[],
): Promise<void> {
  await session.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (path VARCHAR, row_index BIGINT)`);
  for (const { path, runs } of files) {
    for (let i = 0; i < runs.length; i += 100_000) {
      const text = runs
        .slice(i, i + 100_000)
        .map(([lo, hi]) => `${lo}-${hi}`)
        .join(',');
      await session.exec(
        `INSERT INTO temp.${quoteIdent(table)} SELECT ${quoteLiteral(path)}, unnest(range(r[1]::BIGINT, r[2]::BIGINT + 1))
         FROM (SELECT string_split(unnest(string_split(${quoteLiteral(text)}, ',')), '-') AS r)`,
      );
    }
  }
}

async function loadPartitionValues(
  session: Session,
  table: string,
  fields: StructField[],
  units: ReadUnit[],
  tableName: string,
): Promise<void> {
  const cols = fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`);
  await session.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (__file VARCHAR, ${cols.join(', ')})`);
  const rows: string[] = [];
  for (const unit of units) {
    const values = fields.map((f) => partitionLiteral(unit.partition[f.name], f.type, tableName, f.name));
    for (const p of unit.paths) rows.push(`(${[quoteLiteral(p), ...values].join(', ')})`);
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await session.exec(`INSERT INTO temp.${quoteIdent(table)} VALUES ${rows.slice(i, i + 1000).join(', ')}`);
  }
}
