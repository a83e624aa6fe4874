# psqlODBC (Debian's odbc-postgresql, "PostgreSQL Unicode") through pyodbc and unixODBC: what
# Excel, Power BI's ODBC path and other ODBC tools use. The catalog browsed with the ODBC catalog
# functions (SQLTables, SQLColumns), then the gold queries with ? parameters (psqlODBC binds them
# server-side by default). Prints one JSON document (see common.py).
import os

import pyodbc

from common import (ALL_ROWS, BY_CHANNEL, DATABASE, FILTERED, FILTERED_ARGS, HOST, PASSWORD, PORT, TOTALS, USER,
                    Report, plain, rows, type_names)

DRIVER = os.environ.get("STRATA_ODBC_DRIVER", "PostgreSQL Unicode")
CONNECTION = (f"Driver={{{DRIVER}}};Server={HOST};Port={PORT};Database={DATABASE};Uid={USER};Pwd={PASSWORD};"
              "SSLmode=disable;")


def run(fn):
    def step():
        conn = pyodbc.connect(CONNECTION, timeout=10, autocommit=True)
        try:
            return fn(conn.cursor())
        finally:
            conn.close()
    return step


def catalog(cur):
    tables = [[t.table_schem, t.table_name, t.table_type] for t in cur.tables(schema="gold")]
    columns = [[c.column_name, c.type_name] for c in cur.columns(table="sales", schema="gold")]
    return {"tables": tables, "columns": columns}


def all_rows(cur):
    found = cur.execute(ALL_ROWS).fetchall()
    return {"rows": rows(found), "types": type_names(found[0])}


def totals(cur):
    return plain(list(cur.execute(TOTALS).fetchone()))


def by_channel(cur):
    sql = BY_CHANNEL.replace("%s", "?")
    return [rows(cur.execute(sql, channel).fetchall()) for channel in ("online", "retail")]


def filtered(cur):
    return plain(list(cur.execute(FILTERED.replace("%s", "?"), *FILTERED_ARGS).fetchone()))


report = Report("pyodbc", f"pyodbc {pyodbc.version}, {DRIVER}")
for name, fn in [("catalog", catalog), ("rows", all_rows), ("totals", totals), ("byChannel", by_channel),
                 ("filtered", filtered)]:
    report.step(name, run(fn))
report.finish()
