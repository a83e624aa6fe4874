// strata query "<sql>": DuckDB SQL with delta_scan, printed or written to a file.
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { CliUsageError, withProject, type GlobalOptions } from './context.js';
import { render, type OutputFormat } from './output.js';

interface QueryOptions {
  format: string;
  dialect: string;
  file?: string;
  output?: string;
  maxRows: string;
}

const FORMATS = ['table', 'csv', 'json', 'parquet'];

export function registerQuery(program: Command, globals: () => GlobalOptions): void {
  program
    .command('query')
    .description(
      'run SQL: tables by name (schema.table), Spark SQL statements and functions, DuckDB SQL; delta_scan(path) reads any Delta table',
    )
    .argument('[sql]', "the SQL to run (one or more statements; '-' reads them from standard input)")
    .option('--file <file>', 'run the SQL in a file (a .sql file of statements)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the result to a file (required for parquet)')
    .option('--max-rows <n>', 'rows shown by the table format', '100')
    .option(
      '--dialect <dialect>',
      'spark: Databricks SQL ("..." is a string, `...` a name); duckdb: plain DuckDB SQL ("..." is a name)',
      'spark',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ strata query "SELECT count(*) FROM silver.orders"
  $ strata query "SELECT * FROM gold.sales VERSION AS OF 3" --format csv
  $ strata query "DESCRIBE HISTORY gold.sales" --format parquet --output history.parquet
  $ strata query "SELECT * FROM delta_scan('path/to/table')"
  $ strata query "CREATE TABLE IF NOT EXISTS bronze.orders; COPY INTO bronze.orders FROM 'landing/orders/' FILEFORMAT = CSV"
  $ strata query "SELECT * FROM read_files('landing/orders/*.csv', format => 'csv') LIMIT 10"
  $ strata query --dialect duckdb 'SELECT "order id" FROM silver.orders LIMIT 5'
  $ strata query --file reports/monthly.sql
  $ cat checks.sql | strata query -`,
    )
    .action(async (arg: string | undefined, options: QueryOptions) => {
      const sql = await sqlText(arg, options.file);
      const format = options.format.toLowerCase();
      if (!FORMATS.includes(format))
        throw new CliUsageError(`unknown --format '${options.format}' (use ${FORMATS.join(', ')})`);
      if (format === 'parquet' && !options.output) throw new CliUsageError('--format parquet needs --output FILE');
      const dialect = options.dialect.toLowerCase();
      if (dialect !== 'spark' && dialect !== 'duckdb')
        throw new CliUsageError(`unknown --dialect '${options.dialect}' (use spark or duckdb)`);
      const maxRows = Number(options.maxRows);
      if (!Number.isInteger(maxRows) || maxRows < 0)
        throw new CliUsageError(`--max-rows must be a whole number, not '${options.maxRows}'`);
      await withProject(globals(), (project) =>
        project.withSession(async (session) => {
          if (format === 'parquet') {
            const n = await project.queryToParquet(sql, options.output!, { session, dialect });
            process.stderr.write(
              n === undefined
                ? `wrote ${options.output}\n`
                : `wrote ${n} row${n === 1 ? '' : 's'} to ${options.output}\n`,
            );
            return;
          }
          const results = await project.queryAll(sql, { session, dialect });
          // Several statements: each one's result, after the statement (those that return no columns, such as SET, print nothing).
          const shown = results.length === 1 ? results : results.filter((r) => r.result.columns.length > 0);
          let text = '';
          for (const { statement, result } of shown) {
            for (const notice of result.notices ?? []) process.stderr.write(`notice: ${notice}\n`);
            if (shown.length > 1 && format === 'table') text += `${text ? '\n' : ''}-- ${oneLine(statement)}\n`;
            text += render(result, format as OutputFormat, format === 'table' ? maxRows : Infinity);
          }
          const rows = shown.reduce((n, r) => n + r.result.rows.length, 0);
          if (options.output) {
            await fs.writeFile(options.output, text);
            process.stderr.write(`wrote ${rows} rows to ${options.output}\n`);
          } else {
            process.stdout.write(text);
          }
        }),
      );
    });
}

/** The SQL to run: the argument, standard input for '-', or the --file's text (one of them). */
async function sqlText(arg: string | undefined, file: string | undefined): Promise<string> {
  if (file !== undefined && arg !== undefined)
    throw new CliUsageError('give the SQL as an argument or with --file, not both');
  if (file !== undefined) {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (err) {
      throw new CliUsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  if (arg === undefined) throw new CliUsageError("give the SQL to run, '-' to read it from standard input, or --file");
  return arg;
}

/** A statement on one line, shortened: the heading of its result. */
function oneLine(statement: string): string {
  const text = statement
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
