// serve: the dashboard and the HTTP API of `strata serve`.
export { startServer, type RunningServer, type ServeOptions } from './server.js';
export { isLoopback } from './auth.js';
