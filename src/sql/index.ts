// sql: the statement front-end — delta_scan, and later Delta DDL/DML.
export * from './execute.js';
export { tokenize, type Token } from './tokenizer.js';
export { findDeltaScanCalls, type DeltaScanCall } from './delta-scan-calls.js';
