"""Why an extract was refused: after DuckDB rejects a file (or the staged rows fail the loader's
check: required fields, finite numbers, the value rules of gcp_values), re-read the failing files
to name the file, the line (Parquet: row) and the field, and say what was expected there.

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
from .gcp_values import TIME_FIELDS, ValueBounds, bad_values_sql, utc_from_epoch_us, value_problem
from .line_item_key import LINE_ITEM_KEY_FIELDS, line_item_key_string


class GcpIngestionError(Exception):
    """A file that cannot be loaded; says where (file, 1-based line or parquet row, field)."""

    def __init__(
        self, message: str, *, file: Path | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.file, self.line, self.field = file, line, field


def diagnose(files: list[ExportFile], exc: duckdb.Error | None, bounds: ValueBounds | None = None) -> GcpIngestionError:
    """Find the first bad line/field of the failing files, for a clear message. With `bounds`,
    values are held to gcp_values' rules too (after the staged rows failed them); without, only
    to what DuckDB's reader takes, so the line blamed is the one the reader failed on."""
    message = str(exc) if exc else ""
    # The file DuckDB names is checked first; the others only if it shows no problem.
    ordered = sorted(files, key=lambda f: str(f.path) not in message)
    for f in ordered:
        error = _diagnose_parquet(f, bounds) if f.is_parquet else _diagnose_ndjson(f.path, bounds)
        if error:
            return error
    named = next((f.path for f in ordered if str(f.path) in message), None)
    where = named.name if named else ", ".join(f.path.name for f in files)
    return GcpIngestionError(
        f"{where}: {message or 'rows without required fields or with values out of bounds'}", file=named
    )


def duplicate_line_items(files: list[ExportFile], key: str) -> GcpIngestionError:
    """Two staged rows have the line item key `key` (line_item_key.py): name both rows."""
    found: list[tuple[Path, int]] = []
    for f in files:
        for number, row in _parsed_rows(f):
            if isinstance(row, dict) and line_item_key_string(row) == key:
                found.append((f.path, number))
            if len(found) == 2:
                break
        if len(found) == 2:
            break
    fields = ", ".join(path for path, _ in LINE_ITEM_KEY_FIELDS)
    why = (
        f"alike in every field that identifies a line item ({fields}), so both would get one line_item_id "
        "and fail every later build; remove the repeated row, or correct the one that is wrong"
    )
    if len(found) < 2:  # not expected: the rows were staged from these files
        return GcpIngestionError(f"{', '.join(f.path.name for f in files)}: two rows are {why} (key {key!r})")
    (first_path, first_number), (path, number) = found
    unit = "row" if first_path.name.endswith(PARQUET_SUFFIXES) else "line"
    first = f"{unit} {first_number}" if first_path == path else f"{first_path.name} {unit} {first_number}"
    return _error(path, number, None, f"the same line item as {first}: {why}")


def _parsed_rows(f: ExportFile) -> Iterator[tuple[int, Any]]:
    """(1-based line or row number, row) of an export file."""
    if f.is_parquet:
        import pyarrow.parquet as pq

        number = 0
        for batch in pq.ParquetFile(f.path).iter_batches():
            for row in batch.to_pylist():
                number += 1
                yield number, row
        return
    for number, line in enumerate(_open_lines(f.path), start=1):
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # blank lines; anything else was refused before the rows were staged


def _open_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        yield from fh


def _diagnose_ndjson(path: Path, bounds: ValueBounds | None) -> GcpIngestionError | None:
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
                problem = _row_problem(lenient, bounds) if isinstance(lenient, dict) else None
                if problem:
                    return _error(path, line_no, *problem)
                return _error(path, line_no, None, f"invalid JSON ({exc})")
            if not isinstance(row, dict):
                return _error(path, line_no, None, "expected a JSON object")
            problem = _row_problem(row, bounds)
            if problem:
                return _error(path, line_no, *problem)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return _error(path, line_no + 1, None, f"truncated or corrupt gzip ({exc})")
    return None


def _row_problem(row: dict, bounds: ValueBounds | None) -> tuple[str, str] | None:
    """(field, message) of the first value not matching the schema, a missing required field, or
    (with `bounds`) a value breaking a rule of gcp_values."""
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
    if bounds is None:
        return None
    # The values as the reader makes them: STRING from any JSON scalar, TIMESTAMP as UTC.
    month = row["invoice"]["month"]
    values: dict[str, Any] = {name: _utc(row[name]) for name in TIME_FIELDS}
    values |= {
        "invoice.month": month if isinstance(month, str) else orjson.dumps(month).decode(),
        "cost": row.get("cost"),
        "cost_at_list": row.get("cost_at_list"),
        "credits": [c for c in row.get("credits") or [] if c is not None],
    }
    return value_problem(values, bounds, shown={**row, "invoice.month": month})


_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?( UTC|Z|[+-]\d{2}(:?\d{2})?)?$")
_TIMESTAMP_PARTS = re.compile(r"(.{10})[ T](.{8})(?:\.(\d+))?(?: UTC|Z|([+-])(\d\d):?(\d\d)?)?")


def _utc(text: str) -> dt.datetime:
    """A timestamp as the reader takes it (schema.parse_timestamp_sql): naive UTC, clamped as
    utc_from_epoch_us clamps (a UTC offset can carry year 9999 beyond Python's range)."""
    day, time, fraction, sign, hours, minutes = _TIMESTAMP_PARTS.fullmatch(text).groups()
    local = dt.datetime.fromisoformat(f"{day} {time}") - dt.datetime(1970, 1, 1)
    micros = local // dt.timedelta(microseconds=1) + int((fraction or "").ljust(6, "0"))
    if sign:
        micros -= (1 if sign == "+" else -1) * (int(hours) * 3600 + int(minutes or 0) * 60) * 1_000_000
    return utc_from_epoch_us(micros)


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


def _diagnose_parquet(f: ExportFile, bounds: ValueBounds | None) -> GcpIngestionError | None:
    """Probe each column's cast alone to name the field; find the row of missing identities and
    (with `bounds`) the first row breaking a value rule.

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
        if bounds is not None:
            return _parquet_value_problem(con, f.path, source, present, bounds)
    finally:
        con.close()
    return None


def _parquet_value_problem(
    con: duckdb.DuckDBPyConnection, path: Path, source: str, present: dict, bounds: ValueBounds
) -> GcpIngestionError | None:
    """The first row breaking a value rule (found in SQL), then its field (value_problem)."""
    by_name = {field["name"]: field for field in schema.fields()}

    def value(dotted: str) -> str:
        head, *members = dotted.split(".")
        expr = parquet_column_sql(by_name[head], present.get(head))
        for member in members:
            expr = f"struct_extract({expr}, '{member}')"
        return expr

    [first] = con.execute(f"SELECT min(file_row_number) FROM {source} WHERE {bad_values_sql(value, bounds)}").fetchone()
    if first is None:
        return None
    times = ", ".join(f"epoch_us({value(n)}), CAST({value(n)} AS VARCHAR)" for n in TIME_FIELDS)
    month, cost, cost_at_list, credits, *time_values = con.execute(
        f"SELECT {value('invoice.month')}, {value('cost')}, {value('cost_at_list')}, {value('credits')}, {times} "
        f"FROM {source} WHERE file_row_number = ?",
        [first],
    ).fetchone()
    values = {"invoice.month": month, "cost": cost, "cost_at_list": cost_at_list, "credits": credits or []}
    shown = dict(values)
    for i, name in enumerate(TIME_FIELDS):
        micros, text = time_values[2 * i : 2 * i + 2]
        values[name] = utc_from_epoch_us(micros) if micros is not None else None
        shown[name] = text
    problem = value_problem(values, bounds, shown)
    return _error(path, int(first) + 1, *problem) if problem else None


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
