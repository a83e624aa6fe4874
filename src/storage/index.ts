// storage: the object-store interface and the local filesystem store.
export * from './object-store.js';
export * from './local-store.js';
export * from './locate.js';
export * from './file-lock.js';
