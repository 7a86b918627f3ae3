"""Why an extract was refused: after DuckDB rejects a file (or the staged rows fail the loader's
check), re-read the failing files to name the file, the line (Parquet: row) and the field, and
say what was expected there.

NDJSON is re-read in Python, line by line, with checks that mirror what DuckDB's reader accepts
(so the blamed line is the one it failed on); Parquet is probed with the loader's own column
conversions (gcp_readers), one column at a time.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import orjson

from . import gcp_schema as schema
from .gcp_readers import (
    MAX_LINE_BYTES,
    PARQUET_SUFFIXES,
    ExportFile,
    parquet_column_sql,
    sql_list,
)


class GcpIngestionError(Exception):
    """A file that cannot be loaded; says where (file, 1-based line or parquet row, field)."""

    def __init__(
        self, message: str, *, file: Path | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.file, self.line, self.field = file, line, field


def diagnose(files: list[ExportFile], exc: duckdb.Error | None) -> GcpIngestionError:
    """Find the first bad line/field of the failing files in Python, for a clear message."""
    message = str(exc) if exc else ""
    # The file DuckDB names is checked first; the others only if it shows no problem.
    ordered = sorted(files, key=lambda f: str(f.path) not in message)
    for f in ordered:
        error = _diagnose_parquet(f) if f.is_parquet else _diagnose_ndjson(f.path)
        if error:
            return error
    named = next((f.path for f in ordered if str(f.path) in message), None)
    where = named.name if named else ", ".join(f.path.name for f in files)
    return GcpIngestionError(f"{where}: {message or 'rows without required fields'}", file=named)


def _open_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        yield from fh


def _diagnose_ndjson(path: Path) -> GcpIngestionError | None:
    line_no = 0
    try:
        for line_no, line in enumerate(_open_lines(path), start=1):
            if len(line) > MAX_LINE_BYTES:
                return _error(
                    path,
                    line_no,
                    None,
                    f"a line of {len(line):,} bytes; rows longer than {MAX_LINE_BYTES:,} bytes may not load",
                )
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                # NaN, Infinity and 1e999 are not JSON, but Python's lenient parser reads them:
                # then the row check can name the field that holds one.
                try:
                    lenient = json.loads(line)
                except ValueError:
                    lenient = None
                problem = _row_problem(lenient) if isinstance(lenient, dict) else None
                if problem:
                    return _error(path, line_no, *problem)
                return _error(path, line_no, None, f"invalid JSON ({exc})")
            if not isinstance(row, dict):
                return _error(path, line_no, None, "expected a JSON object")
            problem = _row_problem(row)
            if problem:
                return _error(path, line_no, *problem)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return _error(path, line_no + 1, None, f"truncated or corrupt gzip ({exc})")
    return None


def _row_problem(row: dict) -> tuple[str, str] | None:
    """(field, message) of the first value not matching the schema, or a missing identity."""
    for field in schema.fields():
        problem = _value_problem(field, row.get(field["name"]), field["name"])
        if problem:
            return problem
    for name in schema.REQUIRED_FIELDS:
        value: Any = row
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            why = "to place the row in an export day" if name in schema.IDENTITY_FIELDS else "to charge the row back"
            return name, f"required {why}, but absent"
    return None


_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?( UTC|Z|[+-]\d{2}(:?\d{2})?)?$")


def _value_problem(field: dict, value: Any, path: str) -> tuple[str, str] | None:
    if value is None:
        return None
    if schema.is_repeated(field):
        if not isinstance(value, list):
            return path, f"expected an array of {field['type']}, got {_show(value)}"
        element = dict(field, mode="NULLABLE")
        for i, item in enumerate(value):
            problem = _value_problem(element, item, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if field["type"] == "RECORD":
        if not isinstance(value, dict):
            return path, f"expected RECORD, got {_show(value)}"
        for sub in field["fields"]:
            problem = _value_problem(sub, value.get(sub["name"]), f"{path}.{sub['name']}")
            if problem:
                return problem
        return None
    if not _scalar_ok(field["type"], value):
        if _non_finite(value):
            return path, f"expected a finite {field['type']}, got {_show(value)} (NaN and infinity are not amounts)"
        return path, f"expected {field['type']}, got {_show(value)}"
    return None


def _non_finite(value: Any) -> bool:
    """NaN or infinite, as a JSON number (Python's parser) or as text ("NaN", "-Infinity", "inf")."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    try:
        return not math.isfinite(float(value))
    except (ValueError, OverflowError):
        return False


def _scalar_ok(bq_type: str, value: Any) -> bool:
    """Mirrors what DuckDB's reader accepts, so the blamed line is the one it failed on."""
    if bq_type == "STRING":
        return not isinstance(value, (dict, list))
    if bq_type == "BOOLEAN":
        return isinstance(value, bool) or value in ("true", "false")
    if bq_type == "TIMESTAMP":
        return isinstance(value, str) and bool(_TIMESTAMP_RE.match(value)) and _valid_date(value)
    if isinstance(value, (bool, dict, list)):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value) and (bq_type != "NUMERIC" or abs(value) < 10**29)
    try:
        number = Decimal(value.strip()) if bq_type == "NUMERIC" else Decimal(float(value))
    except (InvalidOperation, ValueError):
        return False
    if bq_type == "NUMERIC":  # DECIMAL(38,9): 29 digits before the point
        return number.is_finite() and abs(number) < Decimal(10) ** 29
    return number.is_finite()  # NaN and infinity are not amounts


def _valid_date(value: str) -> bool:
    try:
        dt.datetime.strptime(value[:19].replace("T", " "), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def _diagnose_parquet(f: ExportFile) -> GcpIngestionError | None:
    """Probe each column's cast alone to name the field; find the row of missing identities.

    On a scratch in-memory connection: the loader's transaction may have failed already, and
    probing a file needs no warehouse."""
    con = duckdb.connect()
    try:
        source = f"read_parquet({sql_list([f])}, file_row_number=true, hive_partitioning=false)"
        present = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall()
        )
        for field in schema.fields():
            expr = parquet_column_sql(field, present.get(field["name"]))
            try:
                con.execute(f"SELECT count({expr}) FROM {source}").fetchone()
            except duckdb.Error as exc:
                return _error(f.path, None, field["name"], f"cannot convert to {field['type']} ({exc})")
        for field in schema.fields():
            non_finite = schema.non_finite_sql(field, parquet_column_sql(field, present.get(field["name"])))
            row = (
                con.execute(f"SELECT min(file_row_number) FROM {source} WHERE {non_finite}").fetchone()
                if non_finite
                else None
            )
            if row and row[0] is not None:
                return _error(
                    f.path, int(row[0]) + 1, field["name"], "expected finite numbers (NaN and infinity are not amounts)"
                )
        for name in schema.REQUIRED_FIELDS:
            if name.split(".")[0] not in present:
                return _error(f.path, None, name, "column absent; required in every row")
            row = con.execute(
                f"SELECT min(file_row_number) FROM {source} WHERE {schema.field_sql(name)} IS NULL"
            ).fetchone()
            if row and row[0] is not None:
                return _error(f.path, int(row[0]) + 1, name, "required in every row, but null")
    finally:
        con.close()
    return None


def _error(path: Path, line: int | None, field: str | None, message: str) -> GcpIngestionError:
    # Lines of NDJSON and rows of Parquet are both counted from 1.
    unit = "row" if path.name.endswith(PARQUET_SUFFIXES) else "line"
    where = f"{path.name} {unit} {line}" if line is not None else path.name
    if field:
        where += f', field "{field}"'
    return GcpIngestionError(f"{where}: {message}", file=path, line=line, field=field)


def _show(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # NaN, Infinity, -Infinity, as written (orjson would say null)
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."
