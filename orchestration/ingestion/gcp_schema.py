"""DuckDB and pyarrow views of the GCP detailed billing export schema.

`gcp_billing_export_schema.json` (BigQuery `bq show --schema` format) is the only source of
truth: every type, reader column spec and conversion below is derived from it, so a column
Google adds reaches the raw table by editing that file alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

SCHEMA_PATH = Path(__file__).with_name("gcp_billing_export_schema.json")

# The loader's log of every file, beside the raw export table (whose place the dbt source says).
LOG_TABLE = "gcp_ingestion_log"

# A row without these cannot be placed in an export-day partition of one billing account.
IDENTITY_FIELDS = ("billing_account_id", "export_time")

# Every column of the export is NULLABLE in BigQuery, but a row without these cannot be charged
# back: the marts need an account and export day (replacement key), a service and SKU, a usage
# period, an amount, its currency, its invoice month and its cost type. The one list: ingestion
# refuses a row without them (naming the file and line), and the export-schema gate in front of
# dbt (orchestration/quality) refuses an export table, local or on BigQuery, with such a row.
# Dotted = a member of a RECORD column.
REQUIRED_FIELDS = IDENTITY_FIELDS + (
    "service.id",
    "sku.id",
    "usage_start_time",
    "usage_end_time",
    "cost",
    "currency",
    "invoice.month",
    "cost_type",
)
# Columns the models read that a row may lack (no project, no labels, no credits), but that the
# table must have, with their kind.
READ_NULLABLE_COLUMNS = ("project", "labels", "credits")

# Added by the loader after the export's own columns (BigQuery's _PARTITIONTIME day, lineage).
METADATA_COLUMNS = (
    ("_export_date", "DATE"),
    ("_ingestion_id", "VARCHAR"),
    ("_source_file", "VARCHAR"),
)

Field = dict[str, Any]

_SCALAR_TYPES = {
    "STRING": "VARCHAR",
    "FLOAT": "DOUBLE",
    # NUMERIC is BigQuery's DECIMAL(38, 9); reading it as DOUBLE would lose exactness.
    "NUMERIC": "DECIMAL(38,9)",
    # Naive, UTC by convention: TIMESTAMPTZ would make results depend on the session time zone.
    "TIMESTAMP": "TIMESTAMP",
    "BOOLEAN": "BOOLEAN",
}

_ARROW_TYPES = {
    "STRING": pa.string(),
    "FLOAT": pa.float64(),
    "NUMERIC": pa.decimal128(38, 9),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
}


@cache
def fields() -> tuple[Field, ...]:
    """The 28 top-level fields, in schema order."""
    return tuple(json.loads(SCHEMA_PATH.read_text()))


def column_kind(name: str) -> str:
    """The kind of top-level column `name`: REPEATED (an array), RECORD (a struct), or its type."""
    field = next(f for f in fields() if f["name"] == name)
    return "REPEATED" if is_repeated(field) else field["type"]


def is_repeated(field: Field) -> bool:
    return field.get("mode") == "REPEATED"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_type(field: Field, *, timestamp_type: str = "TIMESTAMP") -> str:
    """DuckDB type of a field; `timestamp_type` lets the JSON reader take timestamps as text."""
    if field["type"] == "RECORD":
        members = ", ".join(
            f"{quote(sub['name'])} {duckdb_type(sub, timestamp_type=timestamp_type)}" for sub in field["fields"]
        )
        base = f"STRUCT({members})"
    elif field["type"] == "TIMESTAMP":
        base = timestamp_type
    else:
        base = _SCALAR_TYPES[field["type"]]
    return base + "[]" if is_repeated(field) else base


def raw_columns() -> list[tuple[str, str]]:
    """(name, DuckDB type) of the raw table: export columns in schema order, then metadata."""
    return [(f["name"], duckdb_type(f)) for f in fields()] + list(METADATA_COLUMNS)


def json_read_columns() -> dict[str, str]:
    """`columns=` spec for read_json. Timestamps are read as text and parsed by
    `parse_timestamp_sql`, because the export writes `2026-07-01 13:00:00.1 UTC`."""
    return {f["name"]: duckdb_type(f, timestamp_type="VARCHAR") for f in fields()}


def duckdb_struct_literal(columns: dict[str, str]) -> str:
    """A read_json `columns` argument as SQL: {'name': 'TYPE', ...}."""
    return "{" + ", ".join(f"'{name}': '{typ}'" for name, typ in columns.items()) + "}"


def arrow_schema() -> pa.Schema:
    """The export as pyarrow types (what a BigQuery Parquet extract carries)."""
    return pa.schema([pa.field(f["name"], _arrow_type(f)) for f in fields()])


def _arrow_type(field: Field) -> pa.DataType:
    if field["type"] == "RECORD":
        base = pa.struct([pa.field(sub["name"], _arrow_type(sub)) for sub in field["fields"]])
    else:
        base = _ARROW_TYPES[field["type"]]
    return pa.list_(base) if is_repeated(field) else base


def parse_timestamp_sql(text: str) -> str:
    """SQL turning an exported timestamp string into a naive UTC TIMESTAMP.

    The export writes `YYYY-MM-DD HH:MM:SS[.f{1,6}] UTC`; ISO `...T...Z` / `+00:00` are also
    accepted. A plain CAST handles those (and fails loudly on garbage). Only a non-zero
    offset needs TIMESTAMPTZ, converted through epoch microseconds so the session time zone
    (and whether the ICU extension is loaded) never matters.
    """
    return (
        f"CASE WHEN suffix({text}, ' UTC') THEN CAST({text} AS TIMESTAMP) "
        f"WHEN regexp_matches({text}, ':\\d\\d(\\.\\d+)?[+-]\\d\\d(:?\\d\\d)?$') "
        f"THEN {utc_from_timestamptz_sql(f'CAST({text} AS TIMESTAMPTZ)')} "
        f"ELSE CAST({text} AS TIMESTAMP) END"
    )


def utc_from_timestamptz_sql(expr: str) -> str:
    """Naive UTC TIMESTAMP of a TIMESTAMPTZ, independent of the session time zone."""
    return f"make_timestamp(epoch_us({expr}))"


def normalize_sql(field: Field, expr: str, convert_timestamp: Callable[[str], str]) -> str:
    """SQL giving `expr` (a value as read) its canonical form.

    Absent, null and `{}` are alike in the export, so a record whose members are all empty
    becomes NULL, and an absent array becomes [] (BigQuery arrays are never NULL).
    """
    if is_repeated(field):
        element = dict(field, mode="NULLABLE")
        inner = _element_sql(element, "x", convert_timestamp)
        listed = expr if inner == "x" else f"list_transform({expr}, lambda x: {inner})"
        return f"coalesce({listed}, CAST([] AS {duckdb_type(field)}))"
    if field["type"] == "RECORD":
        rebuilt = _element_sql(field, expr, convert_timestamp)
        return f"CASE WHEN {_all_empty_sql(field, expr)} THEN NULL ELSE {rebuilt} END"
    if field["type"] == "TIMESTAMP":
        return convert_timestamp(expr)
    return expr


def _element_sql(field: Field, expr: str, convert_timestamp: Callable[[str], str]) -> str:
    """A record rebuilt member by member only where a member needs converting."""
    if field["type"] == "TIMESTAMP":
        return convert_timestamp(expr)
    if field["type"] != "RECORD" or not _needs_rebuild(field):
        return expr
    members = []
    for sub in field["fields"]:
        member = f"{expr}.{quote(sub['name'])}"
        members.append(f"{quote(sub['name'])} := {normalize_sql(sub, member, convert_timestamp)}")
    return f"struct_pack({', '.join(members)})"


def _needs_rebuild(field: Field) -> bool:
    return any(sub["type"] == "TIMESTAMP" or is_repeated(sub) or sub["type"] == "RECORD" for sub in field["fields"])


def _all_empty_sql(field: Field, expr: str) -> str:
    checks = []
    for sub in field["fields"]:
        member = f"{expr}.{quote(sub['name'])}"
        if is_repeated(sub):
            checks.append(f"coalesce(len({member}), 0) = 0")
        elif sub["type"] == "RECORD":
            checks.append(_all_empty_sql(sub, member))
        else:
            checks.append(f"{member} IS NULL")
    return f"({expr} IS NULL OR ({' AND '.join(checks)}))"


def field_sql(path: str) -> str:
    """SQL for a dotted field path (`invoice.month`) of the raw table's nested columns."""
    head, *members = path.split(".")
    expr = quote(head)
    for member in members:
        expr = f"struct_extract({expr}, '{member}')"
    return expr


def non_finite_sql(field: Field, expr: str) -> str | None:
    """SQL true where a FLOAT anywhere inside `field` (nested, in arrays) is NaN or infinite.

    DuckDB reads "NaN", "Infinity" and 1e999 into DOUBLE without complaint; an amount that is not
    a number would poison every sum downstream (and cannot become the marts' DECIMAL). None when
    the field holds no FLOAT.
    """
    if is_repeated(field):
        inner = non_finite_sql(dict(field, mode="NULLABLE"), "x")
        return None if inner is None else f"coalesce(list_bool_or(list_transform({expr}, lambda x: {inner})), false)"
    if field["type"] == "RECORD":
        parts = [non_finite_sql(sub, f"struct_extract({expr}, '{sub['name']}')") for sub in field["fields"]]
        parts = [p for p in parts if p is not None]
        return " OR ".join(f"coalesce({p}, false)" for p in parts) or None
    if field["type"] == "FLOAT":
        return f"coalesce(NOT isfinite({expr}), false)"
    return None
