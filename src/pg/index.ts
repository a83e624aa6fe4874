// pg: the Postgres endpoint — BI tools and database clients read the lake over the PostgreSQL
// wire protocol (strata serve --pg-port).
export { startPgServer, pgTls, type PgServerOptions, type RunningPgServer } from './server.js';
export type { PgTls } from './tls.js';
