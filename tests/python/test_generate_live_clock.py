"""The generator's live clock (`--as-of`): the export as it stood at midnight (UTC) of a day, so
the demo's data ends yesterday with the newest days still filling in, deterministically."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.generate.gcp import generate_gcp_export

AS_OF = date(2026, 12, 2)


def _rows(folder: Path) -> list[dict]:
    """Every row once: the newest extract of each export day (an earlier, partial extract of the
    day repeats some of its rows; loading replaces it the same way)."""
    newest = {}
    for extract in sorted(folder.glob("gcp_billing_export_resource_v1_*/export_date=*/extract=*")):
        newest[extract.parent] = extract
    rows = []
    for extract in newest.values():
        for file in sorted(extract.glob("*.json.gz")):
            with gzip.open(file, "rb") as handle:
                rows.extend(json.loads(line) for line in handle)
    return rows


def _time(text: str) -> datetime:
    return datetime.strptime(text.removesuffix(" UTC").split(".")[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    summary = generate_gcp_export(out, 12_000, seed=5, months=2, as_of=AS_OF)
    return out, summary, _rows(out)


def test_usage_runs_from_whole_months_before_through_yesterday(live):
    _, summary, _ = live
    assert (summary.usage_start, summary.usage_end, summary.as_of) == ("2026-10-01", "2026-12-01", "2026-12-02")
    assert summary.invoice_months == ("202610", "202611", "202612")


def test_nothing_is_exported_after_the_as_of_moment(live):
    out, summary, _ = live
    midnight = datetime(2026, 12, 2, tzinfo=UTC)
    rows = _rows(out)
    assert len(rows) == summary.rows
    assert rows and max(_time(row["export_time"]) for row in rows) < midnight
    assert max(_time(row["usage_start_time"]) for row in rows).date() == date(2026, 12, 1)
    assert summary.last_export_date == "2026-12-01"


def test_the_newest_days_are_still_filling_in(live):
    """Yesterday's last hours and the late rows of the last days are not exported yet: yesterday
    has far fewer rows than a settled day of the same week; the settled days are all there."""
    _, _, rows = live
    per_day = Counter(_time(row["usage_start_time"]).date() for row in rows if row["cost_type"] == "regular")
    settled_week = [per_day[date(2026, 11, day)] for day in range(23, 28)]
    assert per_day[date(2026, 12, 1)] < 0.85 * min(settled_week)
    # no usage of as_of itself: its Pacific day had not begun to be exported
    assert date(2026, 12, 2) not in per_day


def test_the_ground_truth_holds_exactly_the_rows_exported(live):
    out, summary, _ = live
    truth = pq.read_table(out / "ground_truth").num_rows
    assert truth == summary.rows


def test_the_same_day_gives_the_same_export(tmp_path):
    a = generate_gcp_export(tmp_path / "a", 1500, seed=3, months=1, as_of=AS_OF)
    b = generate_gcp_export(tmp_path / "b", 1500, seed=3, months=1, as_of=AS_OF)
    assert a.rows == b.rows and _rows(tmp_path / "a") == _rows(tmp_path / "b")


def test_an_open_month_has_no_month_end_rows(live):
    """Rounding-error rows close a month's invoice; the open month (December) has none yet."""
    _, _, rows = live
    rounding = {row["invoice"]["month"] for row in rows if row["cost_type"] == "rounding_error"}
    assert rounding == {"202610", "202611"}


def test_start_and_as_of_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="start or as_of"):
        generate_gcp_export(tmp_path, 100, start=date(2026, 7, 1), as_of=AS_OF)
