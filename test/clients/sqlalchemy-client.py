# SQLAlchemy 1.4 over psycopg2, and pandas' read_sql over it: what notebooks and Python BI code
# do. The catalog browsed with sqlalchemy.inspect (schema names, table names, columns: the
# dialect's own pg_catalog queries), then the gold queries through pandas. Prints one JSON
# document (see common.py).
import pandas
import sqlalchemy

from common import ALL_ROWS, DATABASE, HOST, PASSWORD, PORT, TOTALS, USER, Report, plain

URL = sqlalchemy.engine.URL.create("postgresql+psycopg2", username=USER, password=PASSWORD, host=HOST, port=PORT,
                                   database=DATABASE, query={"sslmode": "disable", "connect_timeout": "10"})


def run(fn):
    def step():
        engine = sqlalchemy.create_engine(URL, poolclass=sqlalchemy.pool.NullPool)
        try:
            return fn(engine)
        finally:
            engine.dispose()
    return step


def catalog(engine):
    inspector = sqlalchemy.inspect(engine)
    return {
        "schemas": inspector.get_schema_names(),
        "tables": inspector.get_table_names(schema="gold"),
        "columns": [[c["name"], str(c["type"]), c["nullable"]] for c in inspector.get_columns("sales", schema="gold")],
    }


def frame(df):
    """A DataFrame as JSON: its columns, its dtypes and its rows (NaN/None as null)."""
    values = [[None if pandas.isna(v) else plain(v) for v in row] for row in df.itertuples(index=False)]
    return {"columns": list(df.columns), "dtypes": [str(t) for t in df.dtypes], "rows": values}


def all_rows(engine):
    return frame(pandas.read_sql(ALL_ROWS, engine))


def totals(engine):
    return frame(pandas.read_sql(TOTALS, engine))


def by_channel(engine):
    query = sqlalchemy.text("SELECT day, amount, units FROM gold.sales WHERE channel = :channel ORDER BY day")
    return frame(pandas.read_sql(query, engine, params={"channel": "online"}))


def table(engine):
    # read_sql_table reflects the table first (the catalog), then selects it.
    df = pandas.read_sql_table("sales", engine, schema="gold")
    return frame(df.sort_values(["day", "amount"]).astype({"day": str}))


report = Report("sqlalchemy", f"SQLAlchemy {sqlalchemy.__version__}, pandas {pandas.__version__}")
for name, fn in [("catalog", catalog), ("rows", all_rows), ("totals", totals), ("byChannel", by_channel),
                 ("table", table)]:
    report.step(name, run(fn))
report.finish()
