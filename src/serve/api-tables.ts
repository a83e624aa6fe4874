// The catalog: every table with its version, size and rows; one table's schema and properties,
// its history, and a sample of its rows at any version.
import { Hono } from 'hono';
import { describeSnapshot, loadSnapshot, tableHistory, type Project, type TableEntry } from '../project/index.js';
import { json, problem, type Env, type ServeContext } from './http.js';
import { intParam, sparkIdent } from './json.js';

/** A table of the project by its `schema.table` name, or undefined. */
export async function findTable(project: Project, name: string): Promise<TableEntry | undefined> {
  const wanted = name.toLowerCase();
  return (await project.catalog.listTables()).find(
    (t) => t.name.toLowerCase() === wanted || (t.schema === 'default' && t.table.toLowerCase() === wanted),
  );
}

export function tableRoutes(s: ServeContext): Hono<Env> {
  const r = new Hono<Env>();
  r.get('/tables', async (c) => {
    const out = await s.project.withSession(async (session) => {
      const list = [];
      for (const t of await s.project.catalog.listTables()) {
        try {
          const d = describeSnapshot(await loadSnapshot(t.location, { session, name: t.name }));
          list.push({
            name: t.name,
            schema: t.schema,
            system: t.system,
            version: d.version,
            files: d.numFiles,
            bytes: d.sizeInBytes,
            rows: d.numRecords,
            lastModified: d.lastModified,
            description: d.description,
          });
        } catch (err) {
          list.push({ name: t.name, schema: t.schema, system: t.system, error: (err as Error).message });
        }
      }
      return list;
    });
    return json(c, out);
  });

  r.get('/tables/:name', async (c) => {
    const t = await findTable(s.project, c.req.param('name'));
    if (!t) return problem(c, 404, `no table ${c.req.param('name')} in this project`);
    const d = await s.project.withSession(async (session) =>
      describeSnapshot(await loadSnapshot(t.location, { session, name: t.name })),
    );
    const { location: _where, ...detail } = d;
    return json(c, { ...detail, name: t.name, system: t.system });
  });

  r.get('/tables/:name/history', async (c) => {
    const t = await findTable(s.project, c.req.param('name'));
    if (!t) return problem(c, 404, `no table ${c.req.param('name')} in this project`);
    const limit = intParam(c.req.query('limit'), 1, 1000, 100);
    if (limit === undefined) return problem(c, 400, 'limit is a whole number from 1 to 1000');
    return json(c, await tableHistory(t.location, limit, t.name));
  });

  r.get('/tables/:name/rows', async (c) => {
    const t = await findTable(s.project, c.req.param('name'));
    if (!t) return problem(c, 404, `no table ${c.req.param('name')} in this project`);
    const limit = intParam(c.req.query('limit'), 1, 1000, 100);
    const version = intParam(c.req.query('version'), 0, Number.MAX_SAFE_INTEGER);
    if (limit === undefined) return problem(c, 400, 'limit is a whole number from 1 to 1000');
    if (c.req.query('version') !== undefined && version === undefined)
      return problem(c, 400, 'version is a whole number');
    // Names quoted, numbers checked above: nothing of the request is SQL text.
    const from = `${sparkIdent(t.schema)}.${sparkIdent(t.table)}`;
    const result = await s.project.query(
      `SELECT * FROM ${from}${version === undefined ? '' : ` VERSION AS OF ${version}`} LIMIT ${limit}`,
    );
    return json(c, { columns: result.columns, rows: result.rows });
  });
  return r;
}
