"""A seed file read as dbt loads it into DuckDB, so the configuration check judges what dbt loads.

dbt's seed step reads the header with agate (dbt_common's `from_csv`: the column names, duplicates
renamed, and the type of each column seeds/_seeds.yml gives no `column_types`), creates the table
with those columns and types, and dbt-duckdb fills it with one COPY (macros/warehouse/
load_csv_rows.sql, whose options are read from that file here). The values come from that COPY:
DuckDB's CSV reader, whitespace kept, quoting and escaping as the options say, an empty field NULL.
The check does the same in an in-memory DuckDB, twice: into text columns, the values the checks of
seeds.py judge (stricter than DuckDB's casts, for BigQuery's sake, and naming a bad value by row
and column), then into the typed columns, as dbt does; that load's own error is reported only
when no check explains it. A file DuckDB cannot parse is one problem, at the line it names.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import yaml

from orchestration.settings import PROJECT_ROOT

SEED_LOADING_MACROS = PROJECT_ROOT / "macros" / "warehouse" / "load_csv_rows.sql"
SEED_PROPERTIES = "_seeds.yml"
_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")
_FIELD_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_AGATE_TOO_MANY = re.compile(r"Row (\d+) has (\d+) values, but Table only has (\d+) columns")


@cache
def seed_csv_options() -> str:
    """The CSV options of dbt's seed COPY, rendered from the macro itself."""
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    return str(environment.from_string(SEED_LOADING_MACROS.read_text()).module.seed_csv_options()).strip()


def seed_column_types(seeds_dir: Path) -> dict[str, dict[str, str]]:
    """Each seed's `column_types` in seeds_dir/_seeds.yml (none when the file is absent, as dbt)."""
    path = seeds_dir / SEED_PROPERTIES
    if not path.exists():
        return {}
    seeds = (yaml.safe_load(path.read_text()) or {}).get("seeds") or []
    return {seed["name"]: dict((seed.get("config") or {}).get("column_types") or {}) for seed in seeds}


class SeedUnreadable(Exception):
    """dbt cannot load the file; `line` is the line of the file where that shows, and `row` the
    data row starting on it (1-based), when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.row: int | None = None


@dataclass
class LoadedSeed:
    header: list[str]
    duplicate_columns: list[str]
    # One per data row, in file order: the line it starts on (None if unknown) and its values as
    # loaded (text; None where dbt loads NULL: an empty field, quoted or not).
    rows: list[tuple[int | None, dict[str, str | None]]] = field(default_factory=list)
    # Why the typed load failed although every value loaded as text (None when it did not fail).
    typed_load_error: str | None = None


def load_seed(path: Path, column_types: dict[str, str]) -> LoadedSeed:
    """Read the seed at `path` as dbt-duckdb loads it; raise SeedUnreadable where dbt would fail."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # line endings as written
    except (OSError, UnicodeDecodeError) as error:
        raise SeedUnreadable(f"cannot be read as UTF-8 text: {error}") from error
    if not text.strip():
        raise SeedUnreadable("file is empty: expected a header line", line=1)
    lines, endings = record_lines(text)
    try:
        header, duplicates, inferred = _agate_header(path, column_types, lines)
        types = [column_types.get(name) or inferred[index] for index, name in enumerate(header)]
        with duckdb.connect() as con:
            _copy(con, path, header, ["varchar"] * len(header), endings)
            values = con.execute("select * from seed").fetchall()
            loaded = LoadedSeed(header, duplicates)
            row_lines = lines[1:] if len(lines) == len(values) + 1 else [None] * len(values)
            loaded.rows = [
                (line, dict(zip(header, row, strict=True))) for line, row in zip(row_lines, values, strict=True)
            ]
            try:
                _copy(con, path, header, types, endings)
            except SeedUnreadable as error:
                loaded.typed_load_error = error.message
    except SeedUnreadable as error:
        # The records before the one that fails are whole, so their count numbers it.
        if error.line in lines[1:]:
            error.row = lines.index(error.line)
        raise
    return loaded


def _agate_header(path: Path, column_types: dict[str, str], lines: list[int]) -> tuple[list[str], list[str], list[str]]:
    """The column names dbt reads, the names the header repeats, and dbt-duckdb's type of each
    column (used where column_types gives none)."""
    from agate.warns import DuplicateColumnWarning
    from dbt_common.clients.agate_helper import from_csv

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = from_csv(str(path), text_columns=column_types, delimiter=",")
        except Exception as error:  # noqa: BLE001 - whatever agate raises, dbt's seed step fails on it
            too_long = _AGATE_TOO_MANY.search(str(error))
            if too_long:  # agate counts data rows from 0
                row, found, expected = (int(number) for number in too_long.groups())
                raise SeedUnreadable(
                    _field_count(found, expected), lines[row + 1] if row + 1 < len(lines) else None
                ) from error
            raise SeedUnreadable(f"dbt cannot read it: {error}") from error
    duplicates = [str(w.message).split('"')[1] for w in caught if issubclass(w.category, DuplicateColumnWarning)]
    names = list(table.column_names)
    untyped = [index for index, name in enumerate(names) if name not in column_types]
    inferred = ["varchar"] * len(names)
    if untyped:
        from dbt.adapters.duckdb import DuckDBAdapter

        for index in untyped:
            inferred[index] = DuckDBAdapter.convert_type(table, index)
    return names, duplicates, inferred


def _copy(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], types: list[str], endings) -> None:
    columns = ", ".join(
        f'"{name.replace(chr(34), chr(34) * 2)}" {type_}' for name, type_ in zip(header, types, strict=True)
    )
    con.execute(f"create or replace table seed ({columns})")
    location = str(path).replace("'", "''")
    try:
        con.execute(f"copy seed from '{location}' ({seed_csv_options()})")
    except duckdb.Error as error:
        raise _unreadable(str(error), endings) from error


def _unreadable(message: str, endings: list[tuple[int, str]]) -> SeedUnreadable:
    """DuckDB's error, said for whoever edits the seed."""
    line = _CSV_ERROR_LINE.search(message)
    count = _FIELD_COUNT.search(message)
    if count:
        return SeedUnreadable(
            _field_count(int(count.group(2)), int(count.group(1))), int(line.group(1)) if line else None
        )
    if "unterminated quote" in message:
        return SeedUnreadable(
            'a value starts with a quote (") that does not end it: quote the whole value and double each quote '
            'inside it ("a ""b"" c"), or leave the value unquoted',
            int(line.group(1)) if line else None,
        )
    mixed = [(number, ending) for number, ending in endings if ending != endings[0][1]] if endings else []
    if mixed:
        first, ending = endings[0][1], mixed[0][1]
        return SeedUnreadable(
            f"line {mixed[0][0]} ends with {_ENDING_NAMES[ending]} but line {endings[0][0]} with "
            f"{_ENDING_NAMES[first]}: the seed loader needs one line ending throughout the file",
            mixed[0][0],
        )
    first_line = message.split("\n", 1)[0]
    return SeedUnreadable(
        f"dbt's CSV reader (DuckDB) cannot load it: {first_line}", int(line.group(1)) if line else None
    )


_ENDING_NAMES = {"\n": "LF", "\r\n": "CRLF"}


def _field_count(found: int, expected: int) -> str:
    return f"has {found} fields but the header has {expected} (a value with a comma must be quoted)"


def record_lines(text: str) -> tuple[list[int], list[tuple[int, str]]]:
    """The line each record (the header first) starts on, and each record's line ending, as
    DuckDB's CSV reader splits the text with the seed options: a quote opens a quoted value only at
    the start of a field, a doubled quote inside it is a quote, and empty lines are no records.
    Only for naming lines: the values themselves come from DuckDB."""
    starts: list[int] = []
    endings: list[tuple[int, str]] = []
    line, index, size = 1, 0, len(text)
    while index < size:
        ending = _ending_at(text, index)
        if ending:  # an empty line
            line, index = line + 1, index + len(ending)
            continue
        starts.append(line)
        field_start, quoted = True, False
        while index < size:
            character = text[index]
            if quoted:
                if character == '"' and text.startswith('""', index):
                    index += 2
                    continue
                quoted = character != '"'
                line += character == "\n"
                index += 1
                continue
            ending = _ending_at(text, index)
            if ending:
                endings.append((line, ending))
                line, index = line + 1, index + len(ending)
                break
            quoted = character == '"' and field_start
            field_start = character == ","
            index += 1
    return starts, endings


def _ending_at(text: str, index: int) -> str:
    if text.startswith("\r\n", index):
        return "\r\n"
    return "\n" if text.startswith("\n", index) else ""
