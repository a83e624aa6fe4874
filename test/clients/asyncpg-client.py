# asyncpg: the extended protocol with every statement prepared (named), parameters and results in
# binary format; types it does not know are looked up in pg_type. The catalog read from
# information_schema.columns, then the gold queries. Prints one JSON document (see common.py).
import asyncio

import asyncpg

from common import (ALL_ROWS, BY_CHANNEL, COLUMNS, DATABASE, FILTERED, FILTERED_ARGS, HOST, PASSWORD, PORT, TOTALS,
                    USER, Report, plain, rows, type_names)


def dollars(sql):
    """%s placeholders as $1, $2, ..."""
    parts = sql.split("%s")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


def run(fn):
    async def with_connection():
        conn = await asyncpg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, database=DATABASE,
                                     ssl=False, timeout=10)
        try:
            return await fn(conn)
        finally:
            await conn.close()
    return lambda: asyncio.run(with_connection())


async def catalog(conn):
    columns = await conn.fetch(dollars(COLUMNS), "gold", "sales")
    return {"columns": rows(columns)}


async def all_rows(conn):
    found = await conn.fetch(ALL_ROWS)
    return {"rows": rows(found), "types": type_names(found[0])}


async def totals(conn):
    return plain(list(await conn.fetchrow(TOTALS)))


async def by_channel(conn):
    statement = await conn.prepare(dollars(BY_CHANNEL))
    return [rows(await statement.fetch(channel)) for channel in ("online", "retail")]


async def filtered(conn):
    return plain(list(await conn.fetchrow(dollars(FILTERED), *FILTERED_ARGS)))


report = Report("asyncpg", asyncpg.__version__)
for name, fn in [("catalog", catalog), ("rows", all_rows), ("totals", totals), ("byChannel", by_channel),
                 ("filtered", filtered)]:
    report.step(name, run(fn))
report.finish()
