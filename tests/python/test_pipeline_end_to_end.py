"""Dagster end to end: generate data, run the real jobs (the CLI's code path) against a
temporary DuckDB file, and check the marts, the checks and the money."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli import run_job
from orchestration.generate.gcp import generate_gcp_export
from orchestration.ingestion.assets import ingestion_run_config
from orchestration.reporting import attribution_accuracy, last_complete_invoice_month, render_report
from orchestration.settings import Settings

MARTS = [
    "fct_cost_line_items",
    "fct_chargeback_monthly",
    "fct_cost_daily",
    "fct_tag_coverage_daily",
    "fct_unallocated_costs",
    "dim_teams",
]


def _connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True)


def _query(sql: str, params=None):
    with _connect() as con:
        return con.execute(sql, params or []).fetchall()


def _monthly_totals():
    return _query(
        "select billing_account_id, invoice_month, billing_currency, sum(billed_cost), sum(line_item_count) "
        "from marts.fct_chargeback_monthly group by all order by all"
    )


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    generate_gcp_export(out, rows=4000, seed=11)
    return out


@pytest.fixture(scope="module")
def built(export_dir) -> Path:
    assert run_job("ingest_gcp_job", ingestion_run_config([str(export_dir)]))
    assert run_job("build_job")
    return export_dir


def test_marts_are_built_in_schema_marts(built):
    tables = {row[0] for row in _query("select table_name from information_schema.tables where table_schema = 'marts'")}
    assert set(MARTS) <= tables
    # fct_unallocated_costs may rightly be empty: the demo configuration attributes everything.
    for mart in (m for m in MARTS if m != "fct_unallocated_costs"):
        assert _query(f"select count(*) from marts.{mart}")[0][0] > 0, mart


def test_every_export_row_is_one_line_item_or_its_shares(built):
    raw_rows = _query("select count(*) from raw.gcp_billing_export_resource_v1")[0][0]
    sources, unsplit, split_rows, ids, rows = _query(
        """select count(distinct source_line_item_id),
                  count(*) filter (where source_line_item_id = line_item_id),
                  count(*) filter (where allocation_method like 'shared:%'),
                  count(distinct line_item_id), count(*)
           from marts.fct_cost_line_items"""
    )[0]
    assert sources == raw_rows
    assert split_rows > 0 and unsplit + split_rows == rows == ids


def test_money_is_conserved_against_the_ground_truth(built):
    """Independent of dbt's own conservation test: the generator's record of what it wrote."""
    truth = _query(
        f"""select billing_account_id, substr(invoice_month, 1, 4) || '-' || substr(invoice_month, 5, 2), currency,
                   sum(cast(cost as decimal(38,9)) + cast(credits_total as decimal(38,9)))
            from read_parquet('{built / "ground_truth"}/*.parquet') group by all order by all"""
    )
    marts = [(a, m, c, total) for a, m, c, total, _ in _monthly_totals()]
    assert [row[:3] for row in truth] == [row[:3] for row in marts]
    for expected, actual in zip(truth, marts, strict=True):
        assert abs(Decimal(expected[3]) - Decimal(actual[3])) <= Decimal("0.01"), (expected, actual)


def test_every_line_item_has_one_team_and_phase_with_a_method(built):
    rows = _query(
        """select count(*) filter (where team is null or workload_phase is null or allocation_method is null
                                   or phase_method is null),
                  count(*) filter (where team = 'unallocated' and unallocated_reason is null),
                  count(*) filter (where team <> 'unallocated' and allocation_method = 'unallocated')
           from marts.fct_cost_line_items"""
    )[0]
    assert rows == (0, 0, 0)


def test_attribution_against_ground_truth(built):
    with _connect() as con:
        accuracy = attribution_accuracy(con, built / "ground_truth")
    assert accuracy.unmatched_line_items == 0, "line_item_id differs between the generator and dbt"
    # The demo configuration (aliases, virtual-tag rules, ancestor mapping) attributes the
    # generator's unlabelled, namespaced and misspelled resources.
    assert accuracy.correct_share >= 0.99


def test_report_prints_the_last_complete_month(built):
    with _connect() as con:
        month = last_complete_invoice_month(con)
        report = render_report(con, built / "ground_truth")
    assert month == "2026-09"
    assert "Chargeback for invoice month 2026-09" in report
    assert "Tag coverage" in report and "correct team" in report


def test_loading_and_building_again_changes_nothing(built):
    before = _monthly_totals()
    assert run_job("ingest_gcp_job", ingestion_run_config([str(built)]))
    assert run_job("build_job")
    assert _monthly_totals() == before


def test_every_dbt_test_ran_as_a_passing_asset_check(built):
    from orchestration.alerts.checks import ANOMALY_CHECK_KEY, BUDGET_CHECK_KEY
    from orchestration.definitions import defs
    from orchestration.freshness.asset_checks import FRESHNESS_CHECK_KEYS
    from orchestration.ingestion.business_metrics_asset import BUSINESS_METRIC_DELIVERIES, FILES_ACCEPTED_CHECK

    # Every check the build runs and that must pass. Not: the export's freshness checks (their own
    # hourly job; they would rightly fail on this historical data: test_freshness.py covers them),
    # the business metrics' check (their ingestion job: test_business_metrics.py), and the spend
    # news checks, which fail by design when a budget is at risk or an anomaly is new
    # (test_alerts.py).
    others = {
        *FRESHNESS_CHECK_KEYS,
        dg.AssetCheckKey(BUSINESS_METRIC_DELIVERIES, FILES_ACCEPTED_CHECK),
        BUDGET_CHECK_KEY,
        ANOMALY_CHECK_KEY,
    }
    check_keys = list(defs.resolve_asset_graph().asset_check_keys - others)
    conservation = {
        dg.AssetCheckKey(dg.AssetKey([model]), name)
        for model, name in (
            ("int_cost_groups", "cost_groups_conserve_gcp_export_money"),
            ("fct_cost_line_items", "line_items_conserve_gcp_export_money"),
            ("fct_chargeback_monthly", "chargeback_monthly_conserves_gcp_export_money"),
        )
    }
    assert conservation <= set(check_keys)
    with dg.DagsterInstance.get() as instance:
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    assert set(latest) == set(check_keys), "some checks never ran"
    failed = [key.to_user_string() for key, record in latest.items() if record.status.value != "SUCCEEDED"]
    assert not failed


def test_html_report_reads_the_real_marts(built, tmp_path, capsys):
    """`chargeback report --html` on the marts just built: a page per team with cost, charts in
    each (drawn in a browser by tests/python/test_report_site.py, on fixtures of every mart)."""
    from orchestration.cli import _local_warehouse
    from orchestration.report_site.site import write_report

    assert write_report(_local_warehouse(), tmp_path / "report") == 0
    assert f"HTML report ({len(list(tmp_path.glob('report/team-*.html')))} team pages)" in capsys.readouterr().out
    teams = {row[0] for row in _query("select distinct team from marts.fct_cost_daily")}
    assert len(list((tmp_path / "report").glob("team-*.html"))) == len(teams)
    overview = (tmp_path / "report" / "index.html").read_text()
    assert overview.count('class="plotly-graph-div"') >= 3
    assert all(f">{team}</a>" in overview for team in teams)
