// dialect: the text of Spark SQL as users write it — tokens, a parser cursor, Spark type names.
export {
  tokenize,
  isKeyword,
  lineColumn,
  sparkUnescape,
  type Token,
  type TokenKind,
  type TokenizeOptions,
} from './tokenizer.js';
export { TokenCursor } from './token-cursor.js';
export { parseSparkType } from './spark-types.js';
