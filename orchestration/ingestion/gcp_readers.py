"""How DuckDB reads the files of an extract: which files are export files, the reader limits,
and the SELECT that reads NDJSON or Parquet shards into the raw table's columns.

The loader stages rows with these SELECTs; the diagnostics reuse the Parquet column
conversion to name the field DuckDB refused, and MAX_LINE_BYTES to explain a line too long.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import gcp_schema as schema

NDJSON_SUFFIXES = (".json.gz", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
PARQUET_SUFFIXES = (".parquet",)

# Longest NDJSON line (one export row) the reader is sure to take: DuckDB's own default, made
# explicit so that the diagnosis can name a line beyond it (DuckDB's buffer actually takes up to
# about twice this, so a longer line only may fail). A real row is a few KB (GCP allows 64 labels
# per resource); 16 MiB is about 400,000 labels. Raising it grows every reader buffer.
MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ExportFile:
    """One file of an extract, with the checksum and size the loader recognises it by."""

    path: Path
    sha256: str
    bytes: int

    @property
    def is_parquet(self) -> bool:
        return self.path.name.endswith(PARQUET_SUFFIXES)


def ndjson_select(con: duckdb.DuckDBPyConnection, files: list[ExportFile]) -> str:
    """Every field of the schema, normalised; `con` is unused (the same signature as parquet_select)."""
    # One reader over all shards so DuckDB decompresses them in parallel. The folder names
    # look like hive partitions (export_date=...), which must not become columns.
    source = (
        f"read_json({sql_list(files)}, format='newline_delimited', "
        f"columns={schema.duckdb_struct_literal(schema.json_read_columns())}, "
        f"filename=true, hive_partitioning=false, "
        f"maximum_object_size={MAX_LINE_BYTES})"
    )
    exprs = [schema.normalize_sql(f, schema.quote(f["name"]), schema.parse_timestamp_sql) for f in schema.fields()]
    return _select(exprs, source)


def parquet_select(con: duckdb.DuckDBPyConnection, files: list[ExportFile]) -> str:
    """Columns by name, cast to the canonical types; absent columns are NULL."""
    source = f"read_parquet({sql_list(files)}, union_by_name=true, filename=true, hive_partitioning=false)"
    present = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall())
    exprs = [parquet_column_sql(f, present.get(f["name"])) for f in schema.fields()]
    return _select(exprs, source)


def parquet_column_sql(field: dict, source_type: str | None) -> str:
    """A Parquet column (of `source_type`, None if absent) converted to the field's canonical type."""
    name, target = schema.quote(field["name"]), schema.duckdb_type(field)
    if source_type is None:
        return f"CAST(NULL AS {target})"
    if field["type"] == "TIMESTAMP" and source_type == "TIMESTAMP WITH TIME ZONE":
        return schema.utc_from_timestamptz_sql(name)
    if field["type"] == "TIMESTAMP" and source_type == "VARCHAR":
        return schema.parse_timestamp_sql(name)
    return schema.normalize_sql(field, f"CAST({name} AS {target})", lambda e: e)


def _select(exprs: list[str], source: str) -> str:
    names = [schema.quote(f["name"]) for f in schema.fields()]
    converted = ",\n  ".join(f"{e} AS {n}" for e, n in zip(exprs, names, strict=True))
    # _export_date is BigQuery's _PARTITIONTIME day: the UTC date of export_time.
    return (
        f"SELECT {', '.join(names)}, CAST(export_time AS DATE), ?, filename FROM "
        f"(SELECT\n  {converted},\n  filename\nFROM {source})"
    )


def sql_list(files: list[ExportFile]) -> str:
    """The files' paths as a SQL list literal, for the readers."""
    return "[" + ", ".join("'" + str(f.path).replace("'", "''") + "'" for f in files) + "]"
