// SQLSTATE codes for Strata's errors (PostgreSQL's Appendix A, "PostgreSQL Error Codes"): what a
// client's driver reads to tell a syntax error from a missing table or a refused write.
import type { ErrorCode } from '../core/index.js';

const BY_CODE: Partial<Record<ErrorCode, string>> = {
  READ_ONLY: '25006', // read_only_sql_transaction
  SQL_SYNTAX: '42601', // syntax_error
  SQL_UNSUPPORTED: '0A000', // feature_not_supported
  TABLE_NOT_FOUND: '42P01', // undefined_table
  NOT_A_TABLE: '42P01',
  VERSION_NOT_FOUND: '22023', // invalid_parameter_value
  CANCELLED: '57014', // query_canceled
  USAGE: '42000',
  CONFIG: 'F0000',
};

/** The SQLSTATE of an error: by its code, else by DuckDB's words in its message. */
export function sqlState(code: ErrorCode | undefined, message: string): string {
  if (code === 'SQL_ERROR' || code === undefined) {
    if (/Catalog Error: Table with name|Table .* does not exist|no table named/i.test(message)) return '42P01';
    if (/Referenced column .* not found|column .* does not exist|Binder Error: .*column/i.test(message)) return '42703';
    if (/Catalog Error: Scalar Function with name|function .* does not exist/i.test(message)) return '42883';
    if (/Parser Error|syntax error/i.test(message)) return '42601';
    if (/Permission Error|file system operations are disabled/i.test(message)) return '42501'; // insufficient_privilege
    if (/Conversion Error|Could not convert|Invalid Input Error/i.test(message)) return '22P02';
    if (/Division by zero|divide by zero/i.test(message)) return '22012';
    if (/^incorrect binary data format/.test(message)) return '22P03'; // invalid_binary_representation
    if (/current transaction is aborted/.test(message)) return '25P02';
    if (/^unrecognized configuration parameter/.test(message)) return '42704'; // undefined_object
    if (/^(portal|cursor) ".*" does not exist/.test(message)) return '34000'; // invalid_cursor_name
    if (/^cursor ".*" already exists/.test(message)) return '42P03'; // duplicate_cursor
    if (/^DECLARE CURSOR can only be used in transaction blocks/.test(message)) return '25P01'; // no_active_sql_transaction
    if (/^prepared statement ".*" does not exist/.test(message)) return '26000'; // invalid_sql_statement_name
    if (/^prepared statement ".*" already exists/.test(message)) return '42P05'; // duplicate_prepared_statement
    if (/^(relation|type|schema|role) ".*" does not exist/.test(message)) return '42704';
    return code === undefined ? 'XX000' : '42000';
  }
  return BY_CODE[code] ?? 'XX000';
}
