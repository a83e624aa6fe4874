# psycopg2 (libpq; parameters put in client-side, statements sent with the simple query protocol,
# inside the transaction psycopg2 opens): the catalog browsed through information_schema as
# applications do, then the gold queries. Prints one JSON document (see common.py).
import psycopg2

from common import (ALL_ROWS, BY_CHANNEL, COLUMNS, DATABASE, FILTERED, FILTERED_ARGS, HOST, PASSWORD, PORT, TOTALS,
                    USER, Report, plain, rows, type_names)


def run(fn):
    def step():
        conn = psycopg2.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname=DATABASE,
                                connect_timeout=10, sslmode="disable")
        try:
            with conn.cursor() as cur:
                return fn(cur)
        finally:
            conn.close()
    return step


def catalog(cur):
    cur.execute("SELECT schema_name FROM information_schema.schemata ORDER BY schema_name")
    schemas = [r[0] for r in cur.fetchall()]
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name",
                ("gold",))
    tables = [r[0] for r in cur.fetchall()]
    cur.execute(COLUMNS, ("gold", "sales"))
    return {"schemas": schemas, "tables": tables, "columns": rows(cur.fetchall())}


def all_rows(cur):
    cur.execute(ALL_ROWS)
    found = cur.fetchall()
    return {"rows": rows(found), "types": type_names(found[0]),
            "columns": [[d.name, d.type_code] for d in cur.description]}


def totals(cur):
    cur.execute(TOTALS)
    return plain(list(cur.fetchone()))


def by_channel(cur):
    cur.execute(BY_CHANNEL, ("online",))
    return rows(cur.fetchall())


def filtered(cur):
    cur.execute(FILTERED, FILTERED_ARGS)
    return plain(list(cur.fetchone()))


report = Report("psycopg2", psycopg2.__version__)
for name, fn in [("catalog", catalog), ("rows", all_rows), ("totals", totals), ("byChannel", by_channel),
                 ("filtered", filtered)]:
    report.step(name, run(fn))
report.finish()
