"""The configuration seeds (seeds/*.csv) as dbt loads them (loading.py), and what is wrong in them.

Every problem names the seed file, the data row (1-based, header excluded) and its line in the
file, the column, and what was expected. The checks of each seed family (teams.py, phases.py,
attribution_rules.py, shared_cost_pools.py, service_categories.py) judge the rows read here,
through the field checks of `Seed`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from orchestration.configuration.loading import SeedUnreadable, load_seed
from orchestration.configuration.normalisation import sql_trim

# ASCII digits only: int(), Decimal() and the regex \d also take other scripts' digits (and
# Decimal() underscores), which the warehouses do not load.
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Integer columns are INTEGER in DuckDB (32 bits), INT64 in BigQuery.
_INTEGER_RANGE = range(-(2**31), 2**31)


@dataclass(frozen=True)
class ConfigurationProblem:
    """One problem in one seed. `row` is the 1-based data row (the header is not a row) and
    `line` its line in the file; both are None for a problem with the file or its header."""

    seed: str
    message: str
    row: int | None = None
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = f"seeds/{self.seed}"
        if self.row is not None:
            where += f", row {self.row}" + (f" (line {self.line})" if self.line is not None else "")
        elif self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ConfigurationError(Exception):
    """The configuration seeds have problems; `problems` lists every one."""

    def __init__(self, problems: list[ConfigurationProblem]):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{count} configuration problem{'s' if count != 1 else ''} in the seeds:\n{lines}")


@dataclass(frozen=True)
class SeedSpec:
    """What a seed must look like. `strict` seeds (rules and mappings) reject unknown columns:
    a misspelt `sku_patern` would otherwise be ignored and the rule would match everything.

    dbt loads each value as written, spaces around it included, and the models compare most
    columns as loaded. So whitespace around a value is a problem, except in `free_text`
    columns (notes, names: only shown) and in `trimmed` columns, which the models pass through
    SQL trim() (directly or in a normalisation macro) before comparing and no dbt test compares
    as loaded; there only the whitespace trim() keeps (tabs, line breaks) is."""

    file: str
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    optional_file: bool = False
    strict: bool = False
    free_text: tuple[str, ...] = ()
    trimmed: tuple[str, ...] = ()


@dataclass(eq=False)
class Row:
    number: int  # 1-based data row
    line: int | None  # line of the file where the row starts (None if it cannot be told)
    values: dict[str, str]  # as loaded, NULL as "", stripped; whitespace dbt keeps is reported on reading

    def get(self, column: str) -> str:
        return self.values.get(column) or ""


@dataclass
class Seed:
    """One seed as read, and the field checks that report its problems into `problems` (the
    list shared by every seed of one check, so all problems come out at once)."""

    spec: SeedSpec
    problems: list[ConfigurationProblem]
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    present: bool = False
    unreadable: bool = False  # present, but dbt could not load it
    typed_load_error: str | None = None

    def has(self, column: str) -> bool:
        return column in self.header

    def problem(self, message: str, row: Row | None = None, column: str | None = None, line: int | None = None) -> None:
        self.problems.append(
            ConfigurationProblem(
                seed=self.spec.file,
                message=message,
                row=row.number if row else None,
                line=row.line if row else line,
                column=column,
            )
        )

    def complete_rows(self) -> list[Row]:
        """Report empty required fields; return the rows whose required fields are all filled
        (none when a required column is missing: that is reported once, for the header)."""
        if any(not self.has(name) for name in self.spec.required):
            return []
        complete = []
        for row in self.rows:
            missing = [name for name in self.spec.required if not row.get(name)]
            for name in missing:
                self.problem("required value is empty", row, name)
            if not missing:
                complete.append(row)
        return complete

    def integer(self, row: Row, column: str) -> int | None:
        value = row.get(column)
        if not value:
            return None
        if not _INTEGER.match(value):
            self.problem(f"{value!r} is not a whole number", row, column)
            return None
        if int(value) not in _INTEGER_RANGE:
            self.problem(
                f"{value!r} is out of range: the warehouse stores it as a 32-bit integer "
                f"({_INTEGER_RANGE.start} to {_INTEGER_RANGE.stop - 1})",
                row,
                column,
            )
            return None
        return int(value)

    def decimal(self, row: Row, column: str) -> Decimal | None:
        value = row.get(column)
        if not value:
            return None
        try:
            number = Decimal(value) if _DECIMAL.match(value) else None
        except InvalidOperation:
            number = None
        if number is None:
            self.problem(f"{value!r} is not a number", row, column)
            return None
        return number

    def iso_date(self, row: Row, column: str) -> date | None:
        value = row.get(column)
        if not value:
            return None
        try:
            if not _ISO_DATE.match(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.problem(f"{value!r} is not a date (expected YYYY-MM-DD)", row, column)
            return None

    def boolean(self, row: Row, column: str) -> None:
        value = row.get(column)
        if value and value.lower() not in ("true", "false"):
            self.problem(f"{value!r} is not a boolean (expected true or false)", row, column)

    def known(self, row: Row, column: str, known: set[str] | None, what: str, source: str) -> bool:
        """Report a value not in `known`; None: the source could not be read, so nothing is judged."""
        value = row.get(column)
        if known is not None and value and value not in known:
            self.problem(f"unknown {what} {value!r}: not in seeds/{source}", row, column)
            return False
        return True

    def unique(
        self, rows: Iterable[Row], columns: tuple[str, ...], normalize: Callable[[str], str] = lambda value: value
    ) -> None:
        """Report each row whose `columns` repeat an earlier row's, compared after `normalize`."""
        first: dict[tuple[str, ...], Row] = {}
        for row in rows:
            key = tuple(normalize(row.get(name)) for name in columns)
            if not all(key):
                continue
            if key in first:
                shown = ", ".join(f"{name}={row.get(name)!r}" for name in columns)
                self.problem(f"duplicate {shown}: already on row {first[key].number}", row, columns[0])
            else:
                first[key] = row


def integer_value(text: str) -> str:
    """A whole number as the warehouse compares it ('010' and '+10' are '10'); other text as written."""
    return str(int(text)) if _INTEGER.match(text) else text


def read_seed(
    seeds_dir: Path, spec: SeedSpec, problems: list[ConfigurationProblem], column_types: dict[str, str]
) -> Seed:
    """The seed `spec.file` of `seeds_dir` as dbt loads it (loading.py), with `column_types` from
    seeds/_seeds.yml. Problems of the file, its header, and values dbt would load otherwise than
    the checks read them (whitespace around) are reported."""
    seed = Seed(spec, problems)
    path = seeds_dir / spec.file
    if not path.exists():
        if not spec.optional_file:
            seed.problem("file is missing")
        return seed
    seed.present = True
    try:
        loaded = load_seed(path, column_types)
    except SeedUnreadable as error:
        problems.append(ConfigurationProblem(spec.file, error.message, row=error.row, line=error.line))
        seed.unreadable = True
        return seed
    seed.header = loaded.header
    seed.typed_load_error = loaded.typed_load_error
    for name in loaded.duplicate_columns:
        seed.problem(f"column {name!r} appears twice in the header", column=name, line=1)
    _check_header(seed)
    for number, (line, values) in enumerate(loaded.rows, start=1):
        row = Row(number, line, {})
        for name, value in values.items():
            _check_loaded_as_written(seed, row, name, value or "")
            row.values[name] = (value or "").strip()
        seed.rows.append(row)
    return seed


def report_unexplained_load_error(seed: Seed) -> None:
    """The checks above are stricter than the warehouse's types, so a typed load that fails has
    a reported reason; if it has none, DuckDB's own message is the problem."""
    if seed.typed_load_error and not any(problem.seed == seed.spec.file for problem in seed.problems):
        seed.problem(f"dbt cannot load it into the column types of seeds/_seeds.yml: {seed.typed_load_error}")


def _check_header(seed: Seed) -> None:
    spec = seed.spec
    seen = set(seed.header)
    for name in seed.header:
        if spec.strict and name not in spec.columns:
            seed.problem(f"unknown column {name!r}; expected columns: {', '.join(spec.columns)}", column=name, line=1)
    for name in spec.required:
        if name not in seen:
            seed.problem(f"required column {name!r} is missing from the header", column=name, line=1)


def _check_loaded_as_written(seed: Seed, row: Row, column: str, value: str) -> None:
    """Report a value that dbt would not load as the check reads it (stripped of whitespace)."""
    spec = seed.spec
    if column in spec.free_text or column not in spec.columns:
        return
    if value.strip().lower() == "null":
        seed.problem(
            f"{value!r} is loaded as an empty value on BigQuery (dbt's seed loader reads 'null' as empty) "
            "but as text on DuckDB: use another value",
            row,
            column,
        )
        return
    kept = sql_trim(value) if column in spec.trimmed else value
    if kept == kept.strip():
        return
    if not value.strip():
        # DuckDB loads it as that whitespace, not as an empty value (BigQuery's load: empty).
        if column not in spec.required:  # else reported as a required value that is empty
            seed.problem(
                f"{value!r} is only whitespace, which dbt loads as a value, not as empty: leave it empty", row, column
            )
    elif column in spec.trimmed:
        seed.problem(
            f"{value!r} starts or ends with a tab, line break or other whitespace that SQL trim() keeps: delete it",
            row,
            column,
        )
    else:
        seed.problem(
            f"{value!r} starts or ends with whitespace, which dbt loads as part of the value: delete it", row, column
        )
