// Casts to PostgreSQL's catalog types, for the engine (rewrite.ts walks the statement): a cast to
// regclass, regtype, regproc, regnamespace or regrole makes a literal the OID it names and a value
// cast on to text the name it has (strata_reg*_oid and strata_reg*_name, catalog-functions.ts);
// oid, name, "char" and the vectors become DuckDB's types. `x::type` and `CAST(x AS type)` alike.
import { identName } from './lexer.js';
import type { TokenEdit } from './token-edit.js';

const REG_TYPES = new Set([
  'regclass',
  'regtype',
  'regproc',
  'regprocedure',
  'regnamespace',
  'regrole',
  'regoper',
  'regoperator',
  'regconfig',
  'regdictionary',
  'regcollation',
]);
const TO_TEXT = new Set(['text', 'name', 'varchar']);
/** The reg types whose names the catalog looks up (strata_reg*_name, catalog-functions.ts). */
const NAMED = new Set(['regclass', 'regtype', 'regproc', 'regnamespace', 'regrole']);
/** PostgreSQL types DuckDB names otherwise. */
const TYPE_MAP: Record<string, string> = {
  oid: 'UINTEGER',
  xid: 'UINTEGER',
  cid: 'UINTEGER',
  xid8: 'UBIGINT',
  name: 'VARCHAR',
  char: 'VARCHAR',
  pg_node_tree: 'VARCHAR',
  int2vector: 'SMALLINT[]',
  oidvector: 'UINTEGER[]',
  aclitem: 'VARCHAR',
  regclass: 'UINTEGER',
  regtype: 'UINTEGER',
  regproc: 'UINTEGER',
  regprocedure: 'UINTEGER',
  regnamespace: 'UINTEGER',
  regrole: 'UINTEGER',
  regoper: 'UINTEGER',
  regoperator: 'UINTEGER',
  regconfig: 'UINTEGER',
  regdictionary: 'UINTEGER',
  regcollation: 'UINTEGER',
};

/** A cast (`::` at i): PostgreSQL's catalog types as the engine has them; returns the last token it consumed. */
export function cast(e: TokenEdit, i: number): number {
  let j = i + 1;
  if (e.word(j) === 'pg_catalog' && e.word(j + 1) === '.') {
    e.set(j, j + 1, '');
    j += 2;
  }
  const type = identName(e.tokens[j])?.toLowerCase();
  if (!type) return i;
  const array = e.word(j + 1) === '[' && e.word(j + 2) === ']';
  const end = array ? j + 2 : j;
  if (REG_TYPES.has(type) && !array) return regCast(e, i, j, type);
  if (type === 'bytea' && !array && hexBytea(e, i, j)) return end;
  const mapped = TYPE_MAP[type];
  if (mapped) e.set(j, end, array ? `${mapped.replace(/\[\]$/, '')}[]` : mapped);
  return end;
}

/**
 * `'\x00ff'::bytea`: PostgreSQL's hex input (with standard_conforming_strings, the literal's text is
 * \x and hex digits); DuckDB would read \x00 as an escape and the rest as characters.
 */
function hexBytea(e: TokenEdit, i: number, j: number): boolean {
  const literal = e.tokens[i - 1];
  const hex = literal?.kind === 'string' ? /^'\\x((?:[0-9a-fA-F]{2}|\s)*)'$/.exec(literal.text) : null;
  if (!hex) return false;
  e.set(i - 1, j, `unhex('${hex[1].replace(/\s/g, '')}')`);
  return true;
}

/** `x::regclass`: a literal → the OID it names; a value cast on to text → its name; else the OID. */
function regCast(e: TokenEdit, i: number, j: number, type: string): number {
  const from = e.operandStart(i);
  const kind = type === 'regprocedure' ? 'regproc' : type;
  const operand = e.slice(from, i - 1);
  const k = j + 1;
  if (e.word(k) === '::') {
    let n = k + 1;
    if (e.word(n) === 'pg_catalog' && e.word(n + 1) === '.') n += 2;
    if (TO_TEXT.has(identName(e.tokens[n])?.toLowerCase() ?? '')) {
      e.set(from, n, `strata_${kind}_name(${operand})`);
      return n;
    }
  }
  // A value shown as a SELECT item: by its name, as PostgreSQL's output function shows it (the
  // column is text: the engine has no reg types).
  if (NAMED.has(kind) && e.isSelectItem(from, j)) {
    e.set(from, j, `strata_${kind}_name(${operand})`);
    return j;
  }
  // A value: an OID stays itself, a name is looked up (the type of x is not known here).
  e.set(from, j, `strata_${kind}_oid(${operand})`);
  return j;
}

/** `CAST(x AS regclass)` and the other catalog types (AS at i): as `x::type` would be. */
export function castTypeAfterAs(e: TokenEdit, i: number): boolean {
  let j = i + 1;
  if (e.word(j) === 'pg_catalog' && e.word(j + 1) === '.') j += 2;
  const type = identName(e.tokens[j])?.toLowerCase();
  if (!type || !(type in TYPE_MAP) || e.word(j + 1) !== ')') return false;
  // The CAST( this AS belongs to.
  let depth = 0;
  let open = -1;
  for (let k = i - 1; k >= 0; k--) {
    if (e.tokens[k].text === ')') depth++;
    else if (e.tokens[k].text === '(' && depth-- === 0) {
      open = k;
      break;
    }
  }
  if (open < 1 || e.word(open - 1) !== 'cast') return false;
  if (REG_TYPES.has(type)) {
    const kind = type === 'regprocedure' ? 'regproc' : type;
    e.set(open - 1, j + 1, `strata_${kind}_oid(${e.slice(open + 1, i - 1)})`);
  } else e.set(i + 1, j, TYPE_MAP[type]);
  return true;
}
