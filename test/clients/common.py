# What the Python client programs share: the connection settings from the environment (PGHOST,
# PGPORT, PGUSER, PGPASSWORD, PGDATABASE), the statements every client runs, steps that record
# their value or their error, and the JSON report on stdout (exit status 1 when a step failed,
# each failure also on stderr).
import datetime
import decimal
import json
import os
import sys
import traceback

HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = int(os.environ.get("PGPORT", "5432"))
USER = os.environ.get("PGUSER", "analyst")
PASSWORD = os.environ.get("PGPASSWORD", "")
DATABASE = os.environ.get("PGDATABASE", "lake")

# The gold queries (placeholders written %s; each program puts in its own).
ALL_ROWS = "SELECT day, channel, amount, units, ok FROM gold.sales ORDER BY day, amount"
TOTALS = "SELECT sum(amount) AS revenue, count(*) AS lines FROM gold.sales"
BY_CHANNEL = "SELECT day, amount, units FROM gold.sales WHERE channel = %s ORDER BY day"
FILTERED = "SELECT count(*) AS n, sum(amount) AS revenue FROM gold.sales WHERE day >= %s AND units > %s"
FILTERED_ARGS = (datetime.date(2024, 1, 2), 2)
COLUMNS = (
    "SELECT column_name, data_type FROM information_schema.columns"
    " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"
)


def plain(value):
    """A value as JSON holds it: dates ISO, decimals as their exact text."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def rows(records):
    return [plain(list(r)) for r in records]


def type_names(record):
    """The Python types of a row's values: what the driver made of the column types."""
    return [type(v).__name__ for v in record]


class Report:
    def __init__(self, client, version):
        self.out = {"client": client, "version": version}
        self.failed = []

    def step(self, name, fn):
        """Runs fn(); its value goes in the report under name, or {"error": ...} if it raised."""
        try:
            self.out[name] = fn()
        except Exception as err:  # noqa: BLE001 - every failure is reported, not raised
            message = f"{type(err).__name__}: {err}".strip()
            self.out[name] = {"error": message}
            self.failed.append(name)
            print(f"{name}: {message}", file=sys.stderr)
            if os.environ.get("STRATA_CLIENT_TRACE"):
                traceback.print_exc()

    def finish(self):
        print(json.dumps(self.out, default=str))
        sys.exit(1 if self.failed else 0)
