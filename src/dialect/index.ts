// dialect: the text of Spark SQL as users write it — tokens, a parser cursor, Spark type names.
export { tokenize, isKeyword, lineColumn, type Token, type TokenKind } from './tokenizer.js';
export { TokenCursor } from './token-cursor.js';
export { parseSparkType } from './spark-types.js';
