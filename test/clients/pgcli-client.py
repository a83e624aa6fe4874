# pgcli (Debian's, over psycopg 3): its backslash commands \dt and \d (pgspecial's pg_catalog
# queries) and plain queries, each piped into its own pgcli process (pgcli has no -c option; it
# reads commands from a pipe) with \o writing the results as CSV to a file. pgcli also opens a
# second connection that reads the catalog for completions. Prints one JSON document (see
# common.py).
import csv
import os
import re
import subprocess
import tempfile

from common import ALL_ROWS, DATABASE, HOST, PASSWORD, PORT, TOTALS, USER, Report

PGCLIRC = """[main]
table_format = csv
timing = False
enable_pager = False
less_chatty = True
log_file = {dir}/pgcli.log
history_file = {dir}/history
"""


def pgcli(command):
    """The CSV rows pgcli writes for one command (its header first); an error raises with pgcli's message."""
    with tempfile.TemporaryDirectory(prefix="strata-pgcli-") as dir:
        rc = os.path.join(dir, "pgclirc")
        with open(rc, "w") as f:
            f.write(PGCLIRC.format(dir=dir))
        out = os.path.join(dir, "out.csv")
        env = {**os.environ, "PGPASSWORD": PASSWORD, "TERM": "dumb", "HOME": dir, "XDG_CONFIG_HOME": dir}
        done = subprocess.run(
            ["pgcli", "-h", HOST, "-p", str(PORT), "-U", USER, "-d", DATABASE, "-w", "--pgclirc", rc],
            input=f"\\o {out}\n{command}\n", capture_output=True, text=True, env=env, timeout=60)
        written = open(out).read() if os.path.exists(out) else ""
        screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout + done.stderr)
    lines = written.split("\n")[1:]  # the command echoed first
    if not lines or not lines[0].startswith('"'):
        message = "\n".join(lines).strip() or screen.strip()[-2000:]
        raise RuntimeError(f"pgcli: {message}")
    table = [line for line in lines if line and not re.fullmatch(r"[A-Z]+( \d+)*", line)]
    return list(csv.reader(table))


report = Report("pgcli", subprocess.run(["pgcli", "--version"], capture_output=True, text=True).stdout.strip())
report.step("tables", lambda: pgcli(r"\dt gold.*"))
report.step("columns", lambda: pgcli(r"\d gold.sales"))
report.step("rows", lambda: pgcli(ALL_ROWS + ";"))
report.step("totals", lambda: pgcli(TOTALS + ";"))
report.finish()
