// The clauses of an AUTO CDC (APPLY CHANGES) flow, after `INTO target`:
//
//   FROM source KEYS (k1, ...) [IGNORE NULL UPDATES] [APPLY AS DELETE WHEN expr]
//   [APPLY AS TRUNCATE WHEN expr] SEQUENCE BY expr [COLUMNS list | * EXCEPT (list)]
//   [STORED AS SCD TYPE 1 | SCD TYPE 2] [TRACK HISTORY ON list | * EXCEPT (list)]
//
// Expressions are kept as SQL text (DuckDB evaluates them); a problem is a
// LocatedError (SQL_SYNTAX) naming the clause, at its offset in the flow's text.
import { LocatedError } from '../core/index.js';
import { tokenize, type Token } from '../dialect/index.js';

export interface ColumnSelection {
  /** The columns named (`COLUMNS a, b`), or undefined for `*`. */
  only?: string[];
  /** `* EXCEPT (a, b)`. */
  except: string[];
}

export interface CdcSpec {
  /** The source as written: `STREAM(x)`, `STREAM x`, `x`. */
  source: string;
  keys: string[];
  ignoreNullUpdates: boolean;
  deleteWhen?: string;
  truncateWhen?: string;
  sequenceBy: string;
  columns: ColumnSelection;
  scdType: 1 | 2;
  /** SCD2: the columns whose changes make a new version (default: all but keys and sequence). */
  trackHistory?: ColumnSelection;
}

const CLAUSES = new Set(['keys', 'ignore', 'apply', 'sequence', 'columns', 'stored', 'track']);

/** Parses the text after `AUTO CDC INTO target` (or `APPLY CHANGES INTO target`). */
export function parseCdc(text: string): CdcSpec {
  const tokens = tokenize(text, { spark: true }).filter((t) => t.text !== ';');
  let i = 0;
  const word = (t: Token | undefined, w: string) =>
    t !== undefined && t.kind === 'ident' && t.value.toLowerCase() === w;
  const fail = (message: string, t?: Token): never => {
    throw new LocatedError('SQL_SYNTAX', message, { offset: t?.start ?? tokens.at(-1)?.end ?? 0 });
  };
  const expectWord = (w: string, what = w.toUpperCase()) => {
    if (!word(tokens[i], w)) fail(`expected ${what}${tokens[i] ? `, found '${tokens[i].text}'` : ''}`, tokens[i]);
    i++;
  };
  /** Text up to the next clause keyword at depth 0. */
  const until = (what: string): string => {
    const start = i;
    let depth = 0;
    for (; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.kind === 'ident' && CLAUSES.has(t.value.toLowerCase()) && i > start) break;
    }
    if (i === start) fail(`expected ${what}`, tokens[i]);
    return text.slice(tokens[start].start, tokens[i - 1].end);
  };
  const nameList = (): string[] => {
    const out: string[] = [];
    for (;;) {
      const t = tokens[i];
      if (!t || (t.kind !== 'ident' && t.kind !== 'quoted')) fail('expected a column name', t);
      out.push(t.value);
      i++;
      if (tokens[i]?.text !== ',') return out;
      i++;
    }
  };
  const parenList = (): string[] => {
    if (tokens[i]?.text !== '(') fail("expected '('", tokens[i]);
    i++;
    const out = nameList();
    if (tokens[i]?.text !== ')') fail("expected ')'", tokens[i]);
    i++;
    return out;
  };
  const selection = (): ColumnSelection => {
    if (tokens[i]?.text === '*') {
      i++;
      if (word(tokens[i], 'except')) {
        i++;
        return { except: parenList() };
      }
      return { except: [] };
    }
    return { only: tokens[i]?.text === '(' ? parenList() : nameList(), except: [] };
  };

  expectWord('from', 'FROM and the source');
  const source = until('the source after FROM');
  const spec: Partial<CdcSpec> & { ignoreNullUpdates: boolean; columns: ColumnSelection; scdType: 1 | 2 } = {
    source,
    ignoreNullUpdates: false,
    columns: { except: [] },
    scdType: 1,
  };
  const seen = new Set<string>();
  while (i < tokens.length) {
    const t = tokens[i];
    const clause = t.kind === 'ident' ? t.value.toLowerCase() : '';
    const once = (name: string) => {
      if (seen.has(name)) fail(`${name} is given twice`, t);
      seen.add(name);
    };
    i++;
    if (clause === 'keys') {
      once('KEYS');
      spec.keys = parenList();
    } else if (clause === 'ignore') {
      once('IGNORE NULL UPDATES');
      expectWord('null');
      expectWord('updates');
      spec.ignoreNullUpdates = true;
    } else if (clause === 'apply') {
      expectWord('as');
      if (word(tokens[i], 'delete')) {
        i++;
        once('APPLY AS DELETE WHEN');
        expectWord('when');
        spec.deleteWhen = until('a condition after APPLY AS DELETE WHEN');
      } else if (word(tokens[i], 'truncate')) {
        i++;
        once('APPLY AS TRUNCATE WHEN');
        expectWord('when');
        spec.truncateWhen = until('a condition after APPLY AS TRUNCATE WHEN');
      } else fail('expected DELETE or TRUNCATE after APPLY AS', tokens[i]);
    } else if (clause === 'sequence') {
      once('SEQUENCE BY');
      expectWord('by');
      spec.sequenceBy = until('a column or expression after SEQUENCE BY');
    } else if (clause === 'columns') {
      once('COLUMNS');
      spec.columns = selection();
    } else if (clause === 'stored') {
      once('STORED AS');
      expectWord('as');
      expectWord('scd', 'SCD TYPE 1 or SCD TYPE 2');
      expectWord('type', 'TYPE');
      const n = tokens[i];
      if (n?.text !== '1' && n?.text !== '2') fail('expected SCD TYPE 1 or SCD TYPE 2', n);
      spec.scdType = n!.text === '1' ? 1 : 2;
      i++;
    } else if (clause === 'track') {
      once('TRACK HISTORY ON');
      expectWord('history');
      expectWord('on');
      spec.trackHistory = selection();
    } else
      fail(
        `unexpected '${t.text}': expected KEYS, IGNORE NULL UPDATES, APPLY AS DELETE WHEN, APPLY AS TRUNCATE WHEN, SEQUENCE BY, COLUMNS, STORED AS or TRACK HISTORY ON`,
        t,
      );
  }
  if (!spec.keys) fail('KEYS (...) is required');
  if (!spec.sequenceBy) fail('SEQUENCE BY is required');
  if (spec.trackHistory && spec.scdType !== 2) fail('TRACK HISTORY ON needs STORED AS SCD TYPE 2');
  if (spec.truncateWhen && spec.scdType === 2) fail('APPLY AS TRUNCATE WHEN is for SCD TYPE 1 only (as in Databricks)');
  return spec as CdcSpec;
}
