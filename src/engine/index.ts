// engine: the DuckDB adapter and SQL quoting.
export * from './engine.js';
export * from './quote.js';
export * from './cancellable.js';
export * from './append.js';
export * from './chunk.js';
