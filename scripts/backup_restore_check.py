#!/usr/bin/env python3
"""Prove that a backup restores: dump a PostgreSQL database with `pg_dump -Fc`, restore the
dump into a scratch database with `pg_restore`, and compare every table's row count.

    .venv/bin/python scripts/backup_restore_check.py postgres://clinic@127.0.0.1:5432/clinic
    .venv/bin/python scripts/backup_restore_check.py            # uses DATABASE_URL

The source's rows are counted in the very snapshot pg_dump reads (pg_export_snapshot), so the
comparison is exact even while the clinic keeps working. The scratch database is called
<name>_restore_check; the URL's role creates and drops it (it needs CREATEDB). Nothing in the
source database is changed.

Options: --dump FILE keeps the dump in FILE (default: a temporary file, removed at the end);
--keep leaves the scratch database in place to look at. Exit status: 0 when every table has
the same number of rows, 1 when one does not, 2 when a step failed.
Needs pg_dump and pg_restore (postgresql-client) of the server's major version or newer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

# Every table (partitioned ones counted once, through their parent) outside the system schemas.
TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    ORDER BY 1, 2
"""


class Failed(Exception):
    """A step failed; the message says which and why."""


def count_rows(conn: psycopg.Connection) -> dict[str, int]:
    counts = {}
    for schema, table in conn.execute(TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts


def run(tool: str, args: list[str], env: dict[str, str]) -> float:
    """Run a PostgreSQL client tool; return its duration in seconds."""
    binary = shutil.which(tool)
    if binary is None:
        raise Failed(f"{tool} is not installed (apt-get install postgresql-client)")
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [binary, *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise Failed(f"{tool} failed ({result.returncode}):\n{result.stderr.strip()}")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--dump", type=Path, help="keep the dump in this file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args()
    if not options.url or not options.url.startswith(("postgres://", "postgresql://")):
        parser.error("give a postgres:// URL (or set DATABASE_URL)")
    params = conninfo_to_dict(options.url)
    name = params["dbname"]
    scratch = f"{name}_restore_check"
    env = dict(os.environ)
    if "password" in params:  # to the tools through the environment, not the command line
        env["PGPASSWORD"] = str(params.pop("password"))

    def conninfo(dbname: str) -> str:
        return make_conninfo(**{**params, "dbname": dbname})

    workdir = tempfile.TemporaryDirectory(prefix="backup-check-")
    dump = options.dump or Path(workdir.name) / f"{name}.dump"
    password = env.get("PGPASSWORD")
    try:
        # 1. Dump inside an exported snapshot and count the source's rows in that snapshot.
        with psycopg.connect(conninfo(name), password=password) as source:
            source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            source.read_only = True
            snapshot = source.execute("SELECT pg_export_snapshot()").fetchone()[0]
            server = source.info.server_version
            dump_seconds = run(
                "pg_dump",
                [
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={conninfo(name)}",
                ],
                env,
            )
            expected = count_rows(source)
            source.rollback()

        # 2. Restore into an empty scratch database.
        with psycopg.connect(conninfo("postgres"), password=password, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch))
            )
        restore_seconds = run(
            "pg_restore",
            [
                "--exit-on-error",
                "--no-owner",
                f"--dbname={conninfo(scratch)}",
                str(dump),
            ],
            env,
        )

        # 3. Compare.
        with psycopg.connect(conninfo(scratch), password=password) as restored:
            actual = count_rows(restored)
    finally:
        if not options.keep:
            try:
                with psycopg.connect(
                    conninfo("postgres"), password=password, autocommit=True
                ) as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch))
                    )
            except psycopg.Error as exc:
                print(f"could not drop {scratch}: {exc}", file=sys.stderr)
        size = dump.stat().st_size if dump.exists() else 0
        workdir.cleanup()

    width = max(len(t) for t in expected | actual)
    print(f"{'table':{width}}  {'source':>10}  {'restored':>10}")
    mismatched = []
    for table in sorted(expected | actual):
        source_rows, restored_rows = expected.get(table), actual.get(table)
        mark = "" if source_rows == restored_rows else "  <-- differs"
        if mark:
            mismatched.append(table)
        print(f"{table:{width}}  {source_rows!s:>10}  {restored_rows!s:>10}{mark}")
    print(
        f"\n{name} (PostgreSQL {server // 10000}): {len(expected)} tables, "
        f"{sum(expected.values()):,} rows; dump {size / 1e6:.1f} MB in {dump_seconds:.1f} s "
        f"(pg_dump -Fc), restore into {scratch} in {restore_seconds:.1f} s (pg_restore)"
        + ("" if options.keep else f", {scratch} dropped")
        + (f"; dump kept in {dump}" if options.dump else "")
    )
    if mismatched:
        print(f"FAILED: {len(mismatched)} tables differ: {', '.join(mismatched)}")
        return 1
    print("OK: every table has the same number of rows after the restore")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Failed, psycopg.Error) as exc:
        print(f"backup check failed: {exc}", file=sys.stderr)
        sys.exit(2)
