"""Run one compiled dbt model's SELECT on hand-made input tables in an in-memory DuckDB.

dbt runs once (`compile_model`), offline against a throwaway DuckDB file; every test example then
creates the relations the compiled SQL reads (same database, schema and table names) in a fresh
in-memory database and runs the statement - milliseconds instead of a dbt invocation.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import duckdb
import jinja2

from orchestration.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")
DATABASE = "w"  # the catalog name DuckDB gives <tmp>/w.duckdb, as written in the compiled SQL


class _MacroReturn(Exception):
    """dbt's `return()`: ends the macro with a value."""

    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


def _raise_return(value: object) -> None:
    raise _MacroReturn(value)


def render_macros(path: Path) -> dict[str, Callable[..., object]]:
    """The macros of a dbt macro file as Python functions returning what dbt's `return()` gives.

    As dbt does, each macro is its own template and finds the others (and `return`) in the
    context, so a macro may call another of the file. For macros of plain Jinja and `return`:
    dbt's context (adapter, ref, ...) is not there.
    """
    source = path.read_text()
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    # Shared by every macro's template (not copied), so a macro finds those defined after it too.
    context: dict[str, object] = {**environment.globals, "return": _raise_return}
    macros: dict[str, Callable[..., object]] = {}
    for match in re.finditer(r"{%-?\s*macro\s+(\w+).*?{%-?\s*endmacro\s*-?%}", source, re.S):
        template = environment.from_string(match.group(0))
        template_context = template.new_context(context, shared=True)
        for _ in template.root_render_func(template_context):  # defines the macro
            pass
        macro = template_context.vars[match.group(1)]  # also a private one (`_name`), unlike a module

        def call(*args, _macro=macro, **kwargs):
            try:
                return _macro(*args, **kwargs)
            except _MacroReturn as returned:
                return returned.value

        context[match.group(1)] = macros[match.group(1)] = call
    return macros


# A cost group's money columns, from the one list (macros/attribution/money_columns.sql).
COST_GROUP_MONEY_COLUMNS: list[str] = render_macros(PROJECT_ROOT / "macros" / "attribution" / "money_columns.sql")[
    "cost_group_money_columns"
]()


def _dbt_compile(work: Path, warehouse: Path, *selection: str) -> str:
    """`dbt compile` offline against the DuckDB file `warehouse`, its artefacts in `work`; stdout."""
    env = dict(
        os.environ,
        CHARGEBACK_DBT_TARGET="duckdb",
        CHARGEBACK_DUCKDB_PATH=str(warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    # dbt-duckdb opens the working copy of `warehouse` (profiles.yml) and cannot create its folder.
    Settings.from_env(env).duckdb_working_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(DBT),
        "compile",
        "--profiles-dir",
        ".",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-introspect",
        "--quiet",
        *selection,
    ]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dbt compile failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def compile_model(model: str) -> str:
    """The compiled SELECT of `model`, compiled once, offline."""
    with tempfile.TemporaryDirectory(prefix="sql-harness-") as tmp:
        work = Path(tmp)
        _dbt_compile(work, work / f"{DATABASE}.duckdb", "-s", model)
        [compiled] = (work / "target" / "compiled" / "ai_chargeback" / "models").rglob(f"{model}.sql")
        return compiled.read_text()


def compile_inline(sql: str, warehouse: Path) -> str:
    """`sql` (dbt SQL: refs, sources, macros) compiled for the DuckDB file `warehouse`, offline."""
    with tempfile.TemporaryDirectory(prefix="sql-harness-") as tmp:
        return _dbt_compile(Path(tmp), warehouse, "--inline", sql)


def referenced_relations(sql: str) -> set[tuple[str, str]]:
    """(schema, table) of every `"w"."schema"."table"` the compiled SQL reads."""
    return set(re.findall(rf'"{DATABASE}"\."(\w+)"\."(\w+)"', sql))


def new_connection(threads: int = 2) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={"threads": threads, "preserve_insertion_order": False})
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach ':memory:' as {DATABASE}")
    return con


def create_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[object]],
) -> None:
    """Create "w".schema.table with (name, type) columns and insert rows (tuples, None = null)."""
    con.execute(f'create schema if not exists "{DATABASE}"."{schema}"')
    ddl = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
    qualified = f'"{DATABASE}"."{schema}"."{table}"'
    con.execute(f"create or replace table {qualified} ({ddl})")
    rows = [tuple(row) for row in rows]
    if rows:
        # One statement; values are bound as text and cast by the table's types (exact decimals).
        row_placeholders = "(" + ", ".join("?" for _ in columns) + ")"
        con.execute(
            f"insert into {qualified} values " + ", ".join(row_placeholders for _ in rows),
            [None if value is None else str(value) for row in rows for value in row],
        )


def run_select(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql)
    names = [description[0] for description in cursor.description]
    return names, cursor.fetchall()
