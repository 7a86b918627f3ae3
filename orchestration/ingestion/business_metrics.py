"""Load the business's unit metrics (requests served, active users, documents processed) from CSV
files into the warehouse, with the export loader's rules (docs/loading.md, "Business metrics").

A file has the columns `date`, `team`, `metric`, `value` (any order, more columns are ignored),
one row per day, team and metric. Each file is one delivery:

- A file with any bad row (a bad date, an unknown team, a malformed metric name, a value that is
  not a non-negative number, a key given twice, a missing column) is **refused whole**: nothing of
  it is loaded, every problem is named (`<file> row <n>, column "<column>": expected ..., got
  ...`), and the refusal is kept in the deliveries table with its reasons and counted. Files
  loaded before, and the other files of the same ingestion, are untouched.
- A file delivered again under the same name **replaces** what it delivered before: both raw
  tables are append-only (so nothing loaded before is ever deleted, and both warehouses do it
  with the resource's `append`), and staging reads only the newest loaded delivery of each file.
- A file whose bytes are already the current delivery of some file is skipped, and said so.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orchestration.resources import Warehouse
from orchestration.transform.project import Relation

REQUIRED_COLUMNS = ("date", "team", "metric", "value")
METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Problems listed per refused file; the rest are counted.
MAX_LISTED_PROBLEMS = 20
METRIC_VALUES_SOURCE = "source.ai_chargeback.business_metrics.metric_values"
DELIVERIES_SOURCE = "source.ai_chargeback.business_metrics.deliveries"


class BusinessMetricsError(ValueError):
    """A file that cannot be loaded: `problems` name its rows and columns."""

    def __init__(self, file: Path, problems: Sequence[str], problem_count: int | None = None):
        self.file = file
        self.problems = list(problems)
        self.problem_count = problem_count if problem_count is not None else len(problems)
        more = self.problem_count - len(self.problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(
            f"{file.name}: refused, nothing of it loaded ({self.problem_count} problem"
            f"{'s' if self.problem_count != 1 else ''}):\n{listed}" + (f"\n  ... and {more} more" if more > 0 else "")
        )


@dataclass(frozen=True)
class MetricRow:
    source_row: int
    metric_date: dt.date
    team: str
    metric: str
    value: float


@dataclass
class DeliveryOutcome:
    file: Path
    status: str  # loaded | refused | skipped_duplicate
    rows: int = 0
    reason: str = ""


@dataclass
class IngestionSummary:
    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(outcome.rows for outcome in self.outcomes if outcome.status == "loaded")

    @property
    def refusals(self) -> list[DeliveryOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "refused"]


def read_metric_file(path: Path, teams: Iterable[str]) -> list[MetricRow]:
    """The rows of one metrics file, or BusinessMetricsError naming every problem."""
    known_teams = set(teams)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a spreadsheet's byte-order mark is no column
    except UnicodeDecodeError as exc:
        raise BusinessMetricsError(path, [f"{path.name}: expected UTF-8 text ({exc})"]) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    columns = [name.strip().lower() for name in header] if header else []
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        found = ", ".join(f'"{name}"' for name in columns) or "no header"
        raise BusinessMetricsError(
            path,
            [
                f"{path.name} row 1: missing column {', '.join(repr(m) for m in missing)} "
                f"(expected the columns {', '.join(REQUIRED_COLUMNS)}; found {found})"
            ],
        )
    position = {name: columns.index(name) for name in REQUIRED_COLUMNS}
    problems: list[str] = []
    rows: list[MetricRow] = []
    first_row_of_key: dict[tuple[dt.date, str, str], int] = {}
    for line_number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line carries nothing
        values = {name: (record[i].strip() if i < len(record) else "") for name, i in position.items()}

        def problem(column: str, expected: str, value: str = "", *, where: int = line_number) -> None:
            problems.append(f'{path.name} row {where}, column "{column}": expected {expected}, got "{value}"')

        metric_date = _date(values["date"])
        if metric_date is None:
            problem("date", "a date YYYY-MM-DD", values["date"])
        team = values["team"]
        if team not in known_teams:
            problem("team", "a team of seeds/teams.csv", team)
        metric = values["metric"]
        if not METRIC_NAME.match(metric):
            problem("metric", "a metric name in lowercase letters, digits and '_' (e.g. requests_served)", metric)
        value = _number(values["value"])
        if value is None:
            problem("value", "a number", values["value"])
        elif value < 0:
            problem("value", "a value of 0 or more", values["value"])
        if (
            metric_date is None
            or team not in known_teams
            or not METRIC_NAME.match(metric)
            or value is None
            or value < 0
        ):
            continue
        key = (metric_date, team, metric)
        if key in first_row_of_key:
            problems.append(
                f"{path.name} row {line_number}: expected one row per date, team and metric; "
                f"{metric_date} {team} {metric} is also row {first_row_of_key[key]}"
            )
            continue
        first_row_of_key[key] = line_number
        rows.append(MetricRow(line_number, metric_date, team, metric, value))
    if problems:
        raise BusinessMetricsError(path, problems[:MAX_LISTED_PROBLEMS], len(problems))
    return rows


def _date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def metric_files(paths: Sequence[Path]) -> list[Path]:
    """The CSV files among `paths` (files, or folders searched recursively), in name order; an
    absent path is no file (the input is optional)."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p.resolve() for p in path.rglob("*.csv") if p.is_file())
        elif path.is_file():
            found.add(path.resolve())
    return sorted(found, key=lambda p: (p.name, str(p)))


def raw_relations(warehouse: Warehouse) -> tuple[Relation, Relation]:
    """Where the dbt source reads the metric values and the deliveries (the manifest says)."""
    sources = warehouse.manifest.data["sources"]
    return tuple(warehouse.manifest._relation(sources[key]) for key in (METRIC_VALUES_SOURCE, DELIVERIES_SOURCE))


def _current_checksums(warehouse: Warehouse, deliveries: Relation) -> dict[str, str]:
    """sha256 -> file name, of the newest loaded delivery of every file."""
    if not warehouse.exists(deliveries):
        return {}
    frame = warehouse.query(
        f"select source_file, sha256, delivered_at from {warehouse.quoted(deliveries)} where status = 'loaded'"
    )
    newest = frame.sort_values("delivered_at").groupby("source_file").tail(1)
    return {row.sha256: row.source_file for row in newest.itertuples()}


def ingest_business_metrics(warehouse: Warehouse, paths: Sequence[Path], teams: Iterable[str]) -> IngestionSummary:
    """Load every metrics file under `paths`: each file loads whole or is refused whole, and every
    file seen is recorded in the deliveries table (see the module doc)."""
    values_relation, deliveries_relation = raw_relations(warehouse)
    teams = sorted(set(teams))
    current = _current_checksums(warehouse, deliveries_relation)
    summary = IngestionSummary()
    for path in metric_files(paths):
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        delivery_id = uuid.uuid4().hex
        # Naive UTC with microseconds: the deliveries of one file are ordered by it.
        delivered_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if sha256 in current:
            same = current[sha256]
            reason = "already loaded" if same == path.name else f"the same bytes as {same}, already loaded"
            outcome = DeliveryOutcome(path, "skipped_duplicate", 0, reason)
        else:
            try:
                rows = read_metric_file(path, teams)
            except BusinessMetricsError as exc:
                outcome = DeliveryOutcome(path, "refused", 0, str(exc))
                problem_count = exc.problem_count
            else:
                if rows:
                    # The rows first, then the delivery that makes them current: a load that dies
                    # between the two leaves rows staging never reads.
                    warehouse.append(values_relation, _values_frame(rows, delivery_id, path.name))
                outcome = DeliveryOutcome(path, "loaded", len(rows))
                current[sha256] = path.name
        warehouse.append(
            deliveries_relation,
            pd.DataFrame(
                {
                    "delivery_id": [delivery_id],
                    "source_file": [path.name],
                    "source_path": [str(path)],
                    "sha256": [sha256],
                    "delivered_at": [pd.Timestamp(delivered_at)],
                    "status": [outcome.status],
                    "row_count": [outcome.rows],
                    "problem_count": [problem_count if outcome.status == "refused" else 0],
                    "reason": [outcome.reason],
                }
            ),
        )
        summary.outcomes.append(outcome)
    return summary


def _values_frame(rows: Sequence[MetricRow], delivery_id: str, source_file: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "delivery_id": [delivery_id] * len(rows),
            "source_file": [source_file] * len(rows),
            "source_row": pd.array([row.source_row for row in rows], dtype="int64"),
            "metric_date": [row.metric_date for row in rows],
            "team": [row.team for row in rows],
            "metric": [row.metric for row in rows],
            "metric_value": pd.array([row.value for row in rows], dtype="float64"),
        }
    )
