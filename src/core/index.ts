// core: errors and small shared helpers. Imports nothing of ours.
export * from './errors.js';
export * from './text-position.js';
