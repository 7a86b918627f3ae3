"""What a user can see in a DuckDB warehouse file, to compare before and after an operation (a
helper module, not a test module: the tests import it)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.settings import Settings


def working_copy(published: Path) -> Path:
    """Where runs write for the warehouse published at `published` (profiles.yml): ingestion
    loads there, and a build leaves there everything it publishes."""
    return Settings.from_env({**os.environ, "CHARGEBACK_DUCKDB_PATH": str(published)}).duckdb_working_path


def fingerprint(db: Path) -> dict:
    """Every table in the working copy of the warehouse published at `db`: its columns and all
    its rows, sorted.

    Logical content, not bytes: DuckDB may checkpoint or reuse blocks after a rollback, and
    that is no change a user can see.
    """
    db = working_copy(db)
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY ALL"
        ).fetchall()
        content = {}
        for schema_name, table in tables:
            columns = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema_name, table],
            ).fetchall()
            rows = con.execute(f'SELECT * FROM "{schema_name}"."{table}" ORDER BY ALL').fetchall()
            content[f"{schema_name}.{table}"] = (columns, rows)
    return content
