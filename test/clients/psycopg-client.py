# psycopg 3 (libpq): its default cursor binds parameters server-side (the extended protocol,
# Parse/Bind/Execute), prepare=True makes a named prepared statement, binary=True asks for results
# in binary format. The catalog browsed through pg_catalog (pg_namespace, pg_class, pg_attribute
# with format_type), then the gold queries. Prints one JSON document (see common.py).
import psycopg

from common import (ALL_ROWS, BY_CHANNEL, DATABASE, FILTERED, FILTERED_ARGS, HOST, PASSWORD, PORT, TOTALS, USER,
                    Report, plain, rows, type_names)

SCHEMAS = "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY nspname"
TABLES = ("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
          " WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY c.relname")
COLUMNS = ("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a"
           " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")


def run(fn):
    def step():
        with psycopg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname=DATABASE,
                             connect_timeout=10, sslmode="disable", autocommit=True) as conn:
            return fn(conn)
    return step


def catalog(conn):
    with conn.cursor() as cur:
        schemas = [r[0] for r in cur.execute(SCHEMAS).fetchall()]
        tables = [r[0] for r in cur.execute(TABLES, ("gold",)).fetchall()]
        columns = rows(cur.execute(COLUMNS, ("gold.sales",)).fetchall())
    return {"schemas": schemas, "tables": tables, "columns": columns}


def all_rows(conn):
    cur = conn.execute(ALL_ROWS)
    found = cur.fetchall()
    return {"rows": rows(found), "types": type_names(found[0]),
            "columns": [[d.name, d.type_code] for d in cur.description]}


def totals(conn):
    return plain(list(conn.execute(TOTALS).fetchone()))


def by_channel(conn):
    # The same statement three times: unnamed, then prepared (named) and bound twice.
    once = rows(conn.execute(BY_CHANNEL, ("online",)).fetchall())
    prepared = [rows(conn.execute(BY_CHANNEL, (channel,), prepare=True).fetchall()) for channel in ("online", "retail")]
    return {"unnamed": once, "prepared": prepared}


def filtered(conn):
    return plain(list(conn.execute(FILTERED, FILTERED_ARGS).fetchone()))


def binary(conn):
    with conn.cursor(binary=True) as cur:
        found = cur.execute(ALL_ROWS).fetchall()
        return {"rows": rows(found), "types": type_names(found[0])}


report = Report("psycopg", psycopg.__version__)
for name, fn in [("catalog", catalog), ("rows", all_rows), ("totals", totals), ("byChannel", by_channel),
                 ("filtered", filtered), ("binaryRows", binary)]:
    report.step(name, run(fn))
report.finish()
