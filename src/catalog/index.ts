// catalog: where a project's tables live — names to folders, system tables, quarantines, listing.
export * from './catalog.js';
