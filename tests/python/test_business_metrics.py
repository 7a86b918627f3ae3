"""The business's unit-metric files: what a good file loads, what each bad input gets (the exact
message), that a refusal loses nothing, that a re-delivered file replaces what it delivered before
(as staging reads it), and the BigQuery path through the resource's load jobs, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.ingestion.business_metrics import (
    DELIVERIES_SOURCE,
    METRIC_VALUES_SOURCE,
    BusinessMetricsError,
    ingest_business_metrics,
    raw_relations,
    read_metric_file,
)
from orchestration.ingestion.business_metrics_asset import known_teams
from orchestration.settings import PROJECT_ROOT

TEAMS = ["inference-platform", "search-ranking", "web-app"]
GOOD = (
    "date,team,metric,value\n"
    "2026-07-01,inference-platform,requests_served,120000\n"
    "2026-07-02,inference-platform,requests_served,80000.5\n"
    "2026-07-01,web-app,active_users,4100\n"
)


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_a_good_file_is_read_row_by_row(tmp_path):
    rows = read_metric_file(_write(tmp_path, "m.csv", GOOD), TEAMS)
    assert [(r.source_row, str(r.metric_date), r.team, r.metric, r.value) for r in rows] == [
        (2, "2026-07-01", "inference-platform", "requests_served", 120000.0),
        (3, "2026-07-02", "inference-platform", "requests_served", 80000.5),
        (4, "2026-07-01", "web-app", "active_users", 4100.0),
    ]


def test_columns_in_any_order_extra_columns_and_a_byte_order_mark_are_accepted(tmp_path):
    text = "\ufeffValue,metric,comment,team,date\n7,requests_served,from the gateway,search-ranking,2026-08-31\n"
    (row,) = read_metric_file(_write(tmp_path, "m.csv", text), TEAMS)
    assert (str(row.metric_date), row.team, row.metric, row.value) == (
        "2026-08-31",
        "search-ranking",
        "requests_served",
        7.0,
    )


NAMING_RULE = "a metric name in lowercase letters, digits and '_' (e.g. requests_served)"


@pytest.mark.parametrize(
    ("row", "column", "expected", "got"),
    [
        ("2026-13-01,web-app,active_users,1", "date", "a date YYYY-MM-DD", "2026-13-01"),
        ("01/07/2026,web-app,active_users,1", "date", "a date YYYY-MM-DD", "01/07/2026"),
        ("2026-07-01,web_app,active_users,1", "team", "a team of seeds/teams.csv", "web_app"),
        ("2026-07-01,,active_users,1", "team", "a team of seeds/teams.csv", ""),
        ("2026-07-01,web-app,Active Users,1", "metric", NAMING_RULE, "Active Users"),
        ("2026-07-01,web-app,active_users,12k", "value", "a number", "12k"),
        ("2026-07-01,web-app,active_users,", "value", "a number", ""),
        ("2026-07-01,web-app,active_users,NaN", "value", "a number", "NaN"),
        ("2026-07-01,web-app,active_users,-3", "value", "a value of 0 or more", "-3"),
    ],
    ids=["impossible-date", "other-date-format", "unknown-team", "empty-team", "bad-metric", "non-numeric",
         "empty-value", "nan", "negative"],
)  # fmt: skip
def test_each_bad_value_is_named_by_file_row_and_column(tmp_path, row, column, expected, got):
    path = _write(tmp_path, "m.csv", "date,team,metric,value\n2026-06-30,web-app,active_users,5\n" + row + "\n")
    with pytest.raises(BusinessMetricsError) as refused:
        read_metric_file(path, TEAMS)
    assert refused.value.problems == [f'm.csv row 3, column "{column}": expected {expected}, got "{got}"']
    assert str(refused.value).startswith("m.csv: refused, nothing of it loaded (1 problem):")


def test_a_missing_column_is_named(tmp_path):
    path = _write(tmp_path, "m.csv", "date,team,value\n2026-07-01,web-app,1\n")
    with pytest.raises(BusinessMetricsError) as refused:
        read_metric_file(path, TEAMS)
    assert refused.value.problems == [
        "m.csv row 1: missing column 'metric' (expected the columns date, team, metric, value; "
        'found "date", "team", "value")'
    ]


def test_a_key_given_twice_names_both_rows_and_every_problem_is_counted(tmp_path):
    text = GOOD + "2026-07-01,web-app,active_users,4200\n" + "x,y,z,w\n" * 30
    with pytest.raises(BusinessMetricsError) as refused:
        read_metric_file(_write(tmp_path, "m.csv", text), TEAMS)
    assert refused.value.problems[0] == (
        "m.csv row 5: expected one row per date, team and metric; 2026-07-01 web-app active_users is also row 4"
    )
    # date, team and value bad on each of 30 rows ("z" is a well-formed metric name)
    assert refused.value.problem_count == 1 + 30 * 3
    assert len(refused.value.problems) == 20
    assert str(refused.value).endswith("... and 71 more")


def test_text_that_is_not_utf8_is_refused(tmp_path):
    with pytest.raises(BusinessMetricsError, match=r"m.csv: expected UTF-8 text"):
        read_metric_file(_write(tmp_path, "m.csv", b"date,team,metric,value\n2026-07-01,w\xe9b,a,1\n"), TEAMS)


def test_the_teams_are_the_team_directory():
    assert "inference-platform" in known_teams() and "unallocated" not in known_teams()


# ------------------------------------------------------------------ loading through the warehouse
@pytest.fixture
def warehouse(tmp_path, resources_for):
    return resources_for(tmp_path / "warehouse.duckdb")["warehouse"]


def _raw(warehouse, table: str, columns: str):
    return sorted(map(tuple, warehouse.query(f"select {columns} from raw.{table}").itertuples(index=False)))


def _current_rows(warehouse):
    """The metric rows as the staging model reads them (dbt's own SQL, on this warehouse file; its
    own target folder, so the session's manifest stays as it was)."""
    env = {**os.environ, "CHARGEBACK_DUCKDB_PATH": str(warehouse.published)}
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "show", "--target", "duckdb", "--output", "json", "--limit", "100",
         "--target-path", str(warehouse.published.parent / "dbt-target"), "--log-format", "json", "--inline",
         "select metric_date, team, metric, metric_value, source_file from "
         "{{ ref('stg_business_metrics__metric_values') }} order by all"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for line in completed.stdout.splitlines():
        data = json.loads(line).get("data", {})
        if "preview" in data:
            preview = data["preview"]
            rows = json.loads(preview) if isinstance(preview, str) else preview
            return [(r["metric_date"], r["team"], r["metric"], r["metric_value"], r["source_file"]) for r in rows]
    raise AssertionError(completed.stdout)


def test_deliveries_load_refuse_replace_and_skip_and_nothing_is_lost(tmp_path, warehouse):
    drop = tmp_path / "drop"
    _write(drop, "gateway.csv", GOOD)
    _write(drop, "docs.csv", "date,team,metric,value\n2026-07-01,search-ranking,documents_processed,10\n")
    first = ingest_business_metrics(warehouse, [drop], known_teams())
    assert [(o.file.name, o.status, o.rows) for o in first.outcomes] == [
        ("docs.csv", "loaded", 1),
        ("gateway.csv", "loaded", 3),
    ]
    assert _current_rows(warehouse) == [
        ("2026-07-01", "inference-platform", "requests_served", 120000.0, "gateway.csv"),
        ("2026-07-01", "search-ranking", "documents_processed", 10.0, "docs.csv"),
        ("2026-07-01", "web-app", "active_users", 4100.0, "gateway.csv"),
        ("2026-07-02", "inference-platform", "requests_served", 80000.5, "gateway.csv"),
    ]

    # A bad re-delivery of gateway.csv: refused whole, kept with its reason; what was loaded stays.
    _write(drop, "gateway.csv", GOOD + "2026-07-03,nobody,requests_served,5\n")
    second = ingest_business_metrics(warehouse, [drop], known_teams())
    assert [(o.file.name, o.status) for o in second.outcomes] == [
        ("docs.csv", "skipped_duplicate"),
        ("gateway.csv", "refused"),
    ]
    assert (
        'gateway.csv row 5, column "team": expected a team of seeds/teams.csv, got "nobody"'
        in second.refusals[0].reason
    )
    refusals = _raw(warehouse, "business_metric_deliveries", "source_file, status, problem_count, reason")
    assert ("gateway.csv", "refused", 1, second.refusals[0].reason) in refusals
    assert len(_current_rows(warehouse)) == 4

    # A good re-delivery replaces what the file delivered before, and only that.
    _write(drop, "gateway.csv", "date,team,metric,value\n2026-07-01,inference-platform,requests_served,99\n")
    third = ingest_business_metrics(warehouse, [drop / "gateway.csv"], known_teams())
    assert [(o.file.name, o.status, o.rows) for o in third.outcomes] == [("gateway.csv", "loaded", 1)]
    assert _current_rows(warehouse) == [
        ("2026-07-01", "inference-platform", "requests_served", 99.0, "gateway.csv"),
        ("2026-07-01", "search-ranking", "documents_processed", 10.0, "docs.csv"),
    ]
    # Nothing loaded is ever deleted: the first delivery's rows are still in the raw table.
    assert len(_raw(warehouse, "business_metric_values", "source_file, source_row, metric_value")) == 1 + 3 + 1
    statuses = [row[1] for row in _raw(warehouse, "business_metric_deliveries", "source_file, status")]
    assert sorted(statuses) == sorted(["loaded", "loaded", "skipped_duplicate", "refused", "loaded"])


def test_no_folder_loads_nothing_and_creates_nothing(tmp_path, warehouse):
    summary = ingest_business_metrics(warehouse, [tmp_path / "absent"], known_teams())
    assert summary.outcomes == []
    assert not any(warehouse.exists(relation) for relation in raw_relations(warehouse))


def test_on_bigquery_the_rows_and_the_delivery_go_by_load_jobs(tmp_path, bigquery_warehouse):
    warehouse, client = bigquery_warehouse()
    manifest = json.loads(Path(warehouse.manifest_path).read_text())
    for key, table in (
        (METRIC_VALUES_SOURCE, "business_metric_values"),
        (DELIVERIES_SOURCE, "business_metric_deliveries"),
    ):
        manifest["sources"][key] = {"database": "finops-prod", "schema": "finops_raw", "identifier": table}
    Path(warehouse.manifest_path).write_text(json.dumps(manifest))
    summary = ingest_business_metrics(warehouse, [_write(tmp_path, "gateway.csv", GOOD)], TEAMS)
    assert [(o.status, o.rows) for o in summary.outcomes] == [("loaded", 3)]
    loads = [call for call in client.calls if call[0] == "load"]
    assert [(destination, disposition) for _, destination, _, disposition in loads] == [
        ("finops-prod.finops_raw.business_metric_values", "WRITE_APPEND"),
        ("finops-prod.finops_raw.business_metric_deliveries", "WRITE_APPEND"),
    ]
    values, delivery = loads[0][2], loads[1][2]
    assert list(values["metric_value"]) == [120000.0, 80000.5, 4100.0]
    assert list(values["delivery_id"].unique()) == list(delivery["delivery_id"])
    assert list(delivery["status"]) == ["loaded"]


def test_the_asset_loads_good_files_and_fails_its_check_for_a_refused_one(tmp_path, resources_for):
    """Through Dagster: the refused file is named in the WARN check and the metadata; the good
    one loads, and the run succeeds (the chargeback builds without the bad file)."""
    import dagster as dg

    from orchestration.ingestion.business_metrics_asset import business_metrics, business_metrics_run_config

    drop = tmp_path / "drop"
    _write(drop, "good.csv", GOOD)
    _write(drop, "bad.csv", "date,team,metric,value\n2026-07-01,web-app,active_users,-1\n")
    result = dg.materialize(
        [business_metrics],
        resources=resources_for(tmp_path / "warehouse.duckdb"),
        run_config=business_metrics_run_config([str(drop)]),
    )
    assert result.success
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["refused_files"].value == ["bad.csv"]
    assert 'bad.csv row 2, column "value": expected a value of 0 or more, got "-1"' in check.description
    (values,) = [m for m in result.get_asset_materialization_events() if m.asset_key.path[-1] == "metric_values"]
    metadata = values.materialization.metadata
    assert (metadata["files_loaded"].value, metadata["files_refused"].value, metadata["rows_loaded"].value) == (1, 1, 3)
