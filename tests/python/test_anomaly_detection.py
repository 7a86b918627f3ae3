"""Anomaly detection against the generator's injected incidents: the scoring rules on hand-made
rows, and the behaviour end to end (generate with --incidents, ingest, build, score)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.spend.anomaly_scoring import default_min_impact, score_anomalies, score_warehouse

INCIDENTS = [
    {"kind": "idle_training_vm", "team": "fm", "first_day": "2026-09-05", "last_day": "2026-09-08",
     "extra_cost_by_day": {"2026-09-05": 2000.0, "2026-09-08": 2000.0}},
    {"kind": "runaway_bigquery_scan", "team": "bi", "first_day": "2026-08-10", "last_day": "2026-08-10",
     "extra_cost_by_day": {"2026-08-10": 600.0}},
    {"kind": "small", "team": "web", "first_day": "2026-08-01", "last_day": "2026-08-01",
     "extra_cost_by_day": {"2026-08-01": 50.0}},
]  # fmt: skip


def test_scoring_counts_matches_by_team_and_overlapping_days():
    anomalies = [
        {"team": "fm", "first_day": date(2026, 9, 5), "last_day": date(2026, 9, 8), "detected_on": date(2026, 9, 6)},
        # the tax on it: the same incident
        {"team": "fm", "first_day": "2026-09-05", "last_day": "2026-09-08", "detected_on": "2026-09-07"},
        {"team": "bi", "first_day": "2026-08-11", "last_day": "2026-08-11"},  # the day after: no overlap
        {"team": "web", "first_day": "2026-08-01", "last_day": "2026-08-01"},  # a below-threshold incident
    ]
    score = score_anomalies(INCIDENTS, anomalies, min_impact=100)
    assert (score.incidents, score.found) == (2, 1)  # the 50.0 incident is below the threshold
    assert score.recall == 0.5
    assert (score.anomalies, score.matching_anomalies) == (4, 3)
    assert score.days_to_detect == {"idle_training_vm": 1}  # reported from the second day's data
    assert score_anomalies(INCIDENTS, [], min_impact=100).recall == 0.0


@pytest.fixture(scope="module")
def built_with_incidents(tmp_path_factory, build_from_export) -> Path:
    """A warehouse of this module's own: the session's holds other modules' exports, whose ground
    truth they compare with."""
    from orchestration.generate.gcp import generate_gcp_export

    root = tmp_path_factory.mktemp("anomalies")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHARGEBACK_DUCKDB_PATH", str(root / "warehouse.duckdb"))
        generate_gcp_export(root / "export", rows=30_000, seed=5, incidents=True)
        build_from_export(root, root / "export")
        yield root


def test_injected_incidents_are_found_within_two_days(built_with_incidents):
    with duckdb.connect(str(built_with_incidents / "warehouse.duckdb"), read_only=True) as con:
        score = score_warehouse(con, built_with_incidents / "export" / "ground_truth", default_min_impact())
    assert score.incidents == 4
    assert score.recall >= 0.9, score
    assert score.max_days_to_detect is not None and score.max_days_to_detect <= 2, score
    assert score.precision >= 0.8, score
