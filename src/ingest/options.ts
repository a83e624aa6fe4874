// Options of read_files, COPY INTO and streaming sources, named after Auto
// Loader's and Spark's (case-insensitive, values as strings as SQL gives them).
import { StrataError } from '../core/index.js';
import type { DeltaType } from '../delta/index.js';
import { parseSparkType, TokenCursor, tokenize } from '../dialect/index.js';

export type FileFormat = 'csv' | 'json' | 'parquet';
export type SchemaEvolutionMode = 'addNewColumns' | 'rescue' | 'failOnNewColumns' | 'none';

export interface ReadOptions {
  format: FileFormat;
  /** CSV: the first line names the columns (default true; Spark's default is false, sales files have one). */
  header: boolean;
  delimiter: string;
  quote: string;
  escape: string;
  encoding: string;
  /** Accepted for compatibility: quoted fields may always span lines. */
  multiLine: boolean;
  dateFormat?: string;
  timestampFormat?: string;
  /** Infer column types (default: every CSV/JSON column is a string, as Auto Loader does). */
  inferColumnTypes: boolean;
  /** Column types that override inference: 'price DECIMAL(12,2), qty INT'. */
  schemaHints: Map<string, DeltaType>;
  schemaEvolutionMode: SchemaEvolutionMode;
  rescuedDataColumn: string;
  maxFilesPerTrigger: number;
  maxBytesPerTrigger?: number;
  includeExistingFiles: boolean;
  /** Load a new file whose content was loaded before under another path (renamed, copied); default: skipped with a notice. */
  loadRenamedFiles: boolean;
  /** A glob on file names (not folders) that files must also match, e.g. '*.csv'. */
  pathGlobFilter?: string;
}

const KNOWN = [
  'format',
  'header',
  'delimiter',
  'sep',
  'quote',
  'escape',
  'encoding',
  'charset',
  'multiline',
  'dateformat',
  'timestampformat',
  'infercolumntypes',
  'inferschema',
  'schemahints',
  'schemaevolutionmode',
  'rescueddatacolumn',
  'maxfilespertrigger',
  'maxbytespertrigger',
  'includeexistingfiles',
  'loadrenamedfiles',
  'pathglobfilter',
  'mergeschema',
  'force',
];

const EXTENSIONS: Record<string, FileFormat> = {
  csv: 'csv',
  tsv: 'csv',
  txt: 'csv',
  json: 'json',
  jsonl: 'json',
  ndjson: 'json',
  parquet: 'parquet',
};

/**
 * read_files without `format`: Databricks infers it ("Auto-inferred if not provided"). From the
 * path's extension (`landing/*.json`), else from the files' (all of one format, compressed ones
 * by the extension before `.gz`); undefined when no file tells; a mix is an error.
 */
export function detectFormat(source: string, files: string[], where: string, shown = source): FileFormat | undefined {
  const of = (p: string) => EXTENSIONS[/\.([a-z0-9]+)(?:\.(?:gz|bz2|zst|snappy))?$/i.exec(p)?.[1]?.toLowerCase() ?? ''];
  const own = of(source.replace(/[/\\]+$/, ''));
  if (own) return own;
  const found = [...new Set(files.map(of).filter((f): f is FileFormat => f !== undefined))];
  if (found.length > 1)
    throw new StrataError(
      'USAGE',
      `${where}: the files under ${shown} are of several formats (${found.join(', ')}); name one with format => '...' or narrow the path`,
    );
  return found[0];
}

/** Parses options given as strings (SQL named arguments, FORMAT_OPTIONS, COPY_OPTIONS). */
export function parseReadOptions(
  raw: Record<string, string>,
  where: string,
  /** read_files infers CSV and JSON column types unless told not to; Auto Loader, COPY INTO and `strata ingest` keep strings. */
  defaults: { inferColumnTypes?: boolean } = {},
): ReadOptions {
  const o = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    const key = k.toLowerCase().replace(/^cloudfiles\./, '');
    if (!KNOWN.includes(key))
      throw new StrataError('USAGE', `${where}: unknown option '${k}' (known: ${KNOWN.join(', ')})`);
    o.set(key, v);
  }
  const bool = (key: string, fallback: boolean): boolean => {
    const v = o.get(key);
    if (v === undefined) return fallback;
    if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    throw new StrataError('USAGE', `${where}: option '${key}' must be true or false, not '${v}'`);
  };
  const int = (key: string): number | undefined => {
    const v = o.get(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new StrataError('USAGE', `${where}: option '${key}' must be a positive whole number, not '${v}'`);
    return n;
  };
  const char = (key: string, fallback: string): string => {
    const v = o.get(key) ?? fallback;
    const text = v === '\\t' ? '\t' : v;
    if (text.length > 1) throw new StrataError('USAGE', `${where}: option '${key}' must be one character, not '${v}'`);
    return text;
  };
  const format = (o.get('format') ?? 'csv').toLowerCase();
  if (format !== 'csv' && format !== 'json' && format !== 'parquet') {
    throw new StrataError('USAGE', `${where}: format must be csv, json or parquet, not '${format}'`);
  }
  const mode = o.get('schemaevolutionmode') ?? 'addNewColumns';
  const modes: SchemaEvolutionMode[] = ['addNewColumns', 'rescue', 'failOnNewColumns', 'none'];
  const evolution = modes.find((m) => m.toLowerCase() === mode.toLowerCase());
  if (!evolution)
    throw new StrataError('USAGE', `${where}: schemaEvolutionMode must be one of ${modes.join(', ')}, not '${mode}'`);
  const encoding = (o.get('encoding') ?? o.get('charset') ?? 'utf-8')
    .toLowerCase()
    .replace(/^utf8$/, 'utf-8')
    .replace(/^(iso-8859-1|latin1)$/, 'latin-1');
  if (!['utf-8', 'utf-16', 'latin-1'].includes(encoding))
    throw new StrataError('USAGE', `${where}: encoding must be utf-8, utf-16 or latin-1, not '${encoding}'`);
  const maxBytes = o.get('maxbytespertrigger');
  return {
    format,
    header: bool('header', true),
    delimiter: char(o.has('delimiter') ? 'delimiter' : 'sep', ','),
    quote: char('quote', '"'),
    escape: char('escape', '"'),
    encoding,
    multiLine: bool('multiline', false),
    dateFormat: o.get('dateformat'),
    timestampFormat: o.get('timestampformat'),
    inferColumnTypes: bool('infercolumntypes', bool('inferschema', defaults.inferColumnTypes ?? false)),
    schemaHints: parseSchemaHints(o.get('schemahints') ?? '', where),
    schemaEvolutionMode: evolution,
    rescuedDataColumn: o.get('rescueddatacolumn') ?? '_rescued_data',
    maxFilesPerTrigger: int('maxfilespertrigger') ?? 1000,
    maxBytesPerTrigger: maxBytes === undefined ? undefined : parseBytes(maxBytes, where),
    includeExistingFiles: bool('includeexistingfiles', true),
    loadRenamedFiles: bool('loadrenamedfiles', false),
    pathGlobFilter: o.get('pathglobfilter'),
  };
}

/** 'price DECIMAL(12,2), qty INT' → column → type. */
export function parseSchemaHints(text: string, where: string): Map<string, DeltaType> {
  const hints = new Map<string, DeltaType>();
  if (!text.trim()) return hints;
  try {
    const c = new TokenCursor(text, tokenize(text));
    while (!c.atEnd()) {
      const name = c.ident('a column name');
      hints.set(name, parseSparkType(c));
      if (!c.accept(',')) break;
    }
    if (!c.atEnd()) c.fail('expected , between hints');
  } catch (err) {
    throw new StrataError('USAGE', `${where}: schemaHints '${text}': ${(err as Error).message}`, { cause: err });
  }
  return hints;
}

function parseBytes(text: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?\s*$/i.exec(text);
  if (!m)
    throw new StrataError('USAGE', `${where}: maxBytesPerTrigger must be a size like 10g or 512mb, not '${text}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  return Math.round(Number(m[1]) * ({ b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[unit]);
}
