"""Spend alerts: asset checks on the budget and anomaly marts, and notifications through Apprise
to a local HTTP receiver, once per event, recorded in the warehouse only when delivered.

The marts are stand-ins with the output contract's columns (alert_fixtures.py) in a DuckDB
warehouse of each test's own; the alerts run as Dagster runs them (dg.materialize).
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from alert_fixtures import Receiver, anomaly_row, budget_row, manifest_with_marts, write_marts

from orchestration.alerts.assets import DELIVERED_CHECK, SPEND_ALERTS, spend_alerts
from orchestration.alerts.checks import (
    ANOMALY_CHECK_KEY,
    BUDGET_CHECK_KEY,
    alert_checks_for,
    budget_at_risk_or_over,
    new_cost_anomalies,
)
from orchestration.alerts.ledger import LEDGER_TABLE
from orchestration.alerts.resource import AlertsResource
from orchestration.freshness.asset_checks import build_export_freshness_checks
from orchestration.freshness.thresholds import thresholds_from_source
from orchestration.ingestion.assets import gcp_billing_export
from orchestration.ingestion.business_metrics_asset import business_metrics
from orchestration.jobs import BUILD_JOB, build_jobs
from orchestration.quality.gx_checks import EXPORT_SCHEMA_KEY
from orchestration.resources import DuckDBWarehouse, Warehouse
from orchestration.settings import ALERT_URLS_VARIABLE, Settings, SettingsError
from orchestration.transform.project import DbtManifest
from orchestration.transform.publication import build_publication_asset, building

BUDGETS = [
    budget_row("search", "on_track", forecast=800.0, budget=1000.0),
    budget_row("ml-platform", "at_risk", forecast=9500.0, budget=10000.0),
    # `over`: the month to date above the budget; `at_risk`: the forecast (fct_budget_status).
    budget_row("recommendations", "over", forecast=12345.67, budget=10000.0, month_to_date_cost=10250.0),
    # An older month over budget: not news any more.
    budget_row("search", "over", forecast=2000.0, budget=1000.0, charge_month=date(2026, 11, 1)),
    # A month the data has not reached yet (on track, with no cost so far): not the newest month.
    budget_row("search", "on_track", forecast=0.0, budget=1000.0, charge_month=date(2027, 1, 1)),
]
ANOMALIES = [
    anomaly_row("a-runaway-endpoint", "ml-platform", impact=4321.5),
    anomaly_row("a-old-scan", "search", impact=999.0, status="resolved"),
]


@pytest.fixture
def warehouse(tmp_path, resources_for):
    """A DuckDB warehouse whose manifest has the spend marts, holding BUDGETS and ANOMALIES."""
    session = resources_for(tmp_path / "warehouse.duckdb")["warehouse"]
    manifest = manifest_with_marts(Path(session.manifest_path), tmp_path / "manifest.json")
    # Built anew, not model_copy'd: Dagster initializes a resource from its constructor's config.
    warehouse = DuckDBWarehouse(
        manifest_path=str(manifest),
        duckdb=session.duckdb,
        published_path=session.published_path,
        wait_seconds=session.wait_seconds,
        settings=session.settings,
    )
    write_marts(warehouse, BUDGETS, ANOMALIES)
    return warehouse


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def _alert(warehouse, alerts: AlertsResource | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize([spend_alerts], resources={"warehouse": warehouse, "alerts": alerts or AlertsResource()})


def _delivered_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == DELIVERED_CHECK]
    return evaluation


def _ledger(warehouse) -> list[tuple]:
    with warehouse.connection() as con:
        present = con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [LEDGER_TABLE]
        ).fetchone()[0]
        if not present:
            return []
        return con.execute(f"select event_key, status, amount from quality.{LEDGER_TABLE} order by all").fetchall()


def test_each_new_event_reaches_the_receiver_once(warehouse, receiver, monkeypatch):
    monkeypatch.setenv(ALERT_URLS_VARIABLE, receiver.url())
    assert _alert(warehouse).success
    messages = receiver.take()
    assert len(messages) == 3, [m["title"] for m in messages]
    by_team = {next(t for t in ("recommendations", "ml-platform") if t in m["title"]): m for m in messages[:2]}
    over, at_risk, anomaly = by_team["recommendations"], by_team["ml-platform"], messages[2]
    assert "Budget over" in over["title"] and "month to date 10,250.00 USD against 10,000.00 USD" in over["title"]
    assert "12,345.67 USD" in over["message"]
    assert "has gone over its budget" in over["message"] and "recommendations-lead@example.com" in over["message"]
    assert "marts.fct_budget_status" in over["message"]
    assert "Budget at risk" in at_risk["title"] and "forecast 9,500.00 USD against 10,000.00 USD" in at_risk["title"]
    assert "is forecast to go over its budget" in at_risk["message"]
    assert "Cost anomaly" in anomaly["title"] and "ml-platform" in anomaly["title"]
    assert "4,321.50 USD" in anomaly["message"] and "a-runaway-endpoint" in anomaly["message"]
    assert "91% of the change" in anomaly["message"]
    assert all("search" not in m["title"] for m in messages), "the old month and the resolved anomaly are not news"
    assert [key for key, _, _ in _ledger(warehouse)] == [
        "anomaly|a-runaway-endpoint",
        "budget|2026-12-01|ml-platform|all|all|USD|at_risk",
        "budget|2026-12-01|recommendations|all|all|USD|over",
    ]

    # The next run, same marts: nothing again.
    assert _alert(warehouse).success
    assert receiver.take() == []

    # Later, one new anomaly and the anomaly already sent now ongoing: the new one alone.
    write_marts(
        warehouse,
        BUDGETS,
        [
            anomaly_row("a-runaway-endpoint", "ml-platform", impact=6000.0, status="ongoing"),
            anomaly_row("a-retry-loop", "search", impact=777.25),
        ],
    )
    result = _alert(warehouse)
    [message] = receiver.take()
    assert "search" in message["title"] and "777.25 USD" in message["message"]
    assert result.asset_materializations_for_node("spend_alerts")[0].metadata["sent"].value == 1

    # A budget going from at_risk to over is a new event.
    write_marts(
        warehouse, [budget_row("ml-platform", "over", forecast=10500.0, budget=10000.0, month_to_date_cost=10100.0)], []
    )
    _alert(warehouse)
    [message] = receiver.take()
    assert "Budget over" in message["title"] and "ml-platform" in message["title"]
    assert "projected over by 500.00 USD" in message["message"]
    assert len(_ledger(warehouse)) == 5


def test_nothing_configured_sends_and_records_nothing(warehouse, receiver, monkeypatch):
    monkeypatch.delenv(ALERT_URLS_VARIABLE, raising=False)
    result = _alert(warehouse)
    assert result.success
    assert receiver.take() == []
    assert _ledger(warehouse) == []
    assert _delivered_check(result).passed
    metadata = result.asset_materializations_for_node("spend_alerts")[0].metadata
    assert metadata["open_events"].value == 3 and metadata["sent"].value == 0


def test_a_failed_delivery_is_reported_recorded_nowhere_and_sent_next_run(warehouse, receiver, monkeypatch):
    monkeypatch.setenv(ALERT_URLS_VARIABLE, receiver.url())
    receiver.status = 500
    result = _alert(warehouse)
    assert result.success, "the marts are published and fine: a target that is down is not a failed build"
    check = _delivered_check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "3 not delivered" in check.description
    assert receiver.requests == 1, "a target that failed is not tried again in the same run"
    assert _ledger(warehouse) == []

    receiver.status = 200
    assert _alert(warehouse).success
    assert len(receiver.take()) == 3
    assert len(_ledger(warehouse)) == 3


def test_each_target_gets_each_event_once_when_another_fails(warehouse, receiver, monkeypatch):
    failing = Receiver(status=500)
    try:
        # Two targets in one variable, as Apprise reads a list: a comma, a space or a new line.
        monkeypatch.setenv(ALERT_URLS_VARIABLE, f"{receiver.url('ok')}, {failing.url('down')}")
        _alert(warehouse)
        assert len(receiver.take()) == 3 and failing.take() == []
        failing.status = 200
        result = _alert(warehouse)
        assert len(failing.take()) == 3
        assert receiver.take() == [], "the target that had them gets nothing twice"
        assert _delivered_check(result).passed
    finally:
        failing.close()


def test_a_url_apprise_does_not_know_is_reported_without_its_secret(warehouse, receiver, monkeypatch):
    monkeypatch.setenv(ALERT_URLS_VARIABLE, f"{receiver.url()} nosuchservice://secret-token@host")
    result = _alert(warehouse)
    assert len(receiver.take()) == 3
    check = _delivered_check(result)
    assert not check.passed and f"{ALERT_URLS_VARIABLE} entry 2 (nosuchservice" in check.description + str(
        check.metadata
    )
    assert "secret-token" not in str(check.metadata) + check.description


def test_a_budget_owner_with_an_apprise_url_gets_that_budget_alone(warehouse, receiver, monkeypatch):
    owner = Receiver()
    try:
        contact = owner.url("ml-platform-owner")
        budgets = [*BUDGETS[:1], budget_row("ml-platform", "at_risk", 9500.0, 10000.0, owner_contact=contact)]
        write_marts(warehouse, budgets, ANOMALIES)
        # The owner's URL is a target even when no shared one is configured.
        monkeypatch.delenv(ALERT_URLS_VARIABLE, raising=False)
        _alert(warehouse)
        [message] = owner.take()
        assert "ml-platform" in message["title"] and "Budget owner: notified directly." in message["message"]
        assert contact not in message["message"], "an owner's URL may hold a token: never printed"

        monkeypatch.setenv(ALERT_URLS_VARIABLE, receiver.url())
        _alert(warehouse)
        assert owner.take() == [], "the owner had it already"
        assert len(receiver.take()) == 2, "the shared target gets the budget and the anomaly"
    finally:
        owner.close()


# ------------------------------------------------------------------------------- the checks
def _checks(warehouse, alerts: AlertsResource, marts: list[dg.AssetKey] | None = None):
    specs = [dg.AssetSpec(key) for key in (marts or [BUDGET_CHECK_KEY.asset_key, ANOMALY_CHECK_KEY.asset_key])]
    result = dg.materialize(
        [*specs, budget_at_risk_or_over, new_cost_anomalies],
        selection=dg.AssetSelection.checks(budget_at_risk_or_over, new_cost_anomalies),
        resources={"warehouse": warehouse, "alerts": alerts},
    )
    return {e.asset_check_key: e for e in result.get_asset_check_evaluations()}


def test_the_checks_fail_on_budgets_at_risk_and_new_anomalies_with_their_figures(warehouse):
    evaluations = _checks(warehouse, AlertsResource())
    budget, anomaly = evaluations[BUDGET_CHECK_KEY], evaluations[ANOMALY_CHECK_KEY]
    assert not budget.passed and budget.severity == dg.AssetCheckSeverity.WARN
    assert budget.metadata["over"].value == 1 and budget.metadata["at_risk"].value == 1
    assert budget.metadata["charge_month"].value == "2026-12-01", "the newest month the data has reached"
    assert budget.metadata["budgets"].value == 3
    assert budget.metadata["projected_over_by_currency"].value == {"USD": 2345.67}
    worst = budget.metadata["worst"].value
    assert worst.index("recommendations") < worst.index("ml-platform"), "over before at risk"
    assert not anomaly.passed and anomaly.metadata["new_anomalies"].value == 1
    assert anomaly.metadata["impact_by_currency"].value == {"USD": 4321.5}
    assert "a-runaway-endpoint" in anomaly.metadata["worst"].value


def test_the_checks_pass_when_there_is_no_news_and_take_their_severity(warehouse):
    write_marts(
        warehouse,
        [budget_row("search", "on_track", 800.0, 1000.0)],
        [anomaly_row("a-1", "search", 50.0, status="ongoing"), anomaly_row("a-2", "search", 60.0, status="resolved")],
    )
    evaluations = _checks(warehouse, AlertsResource())
    assert evaluations[BUDGET_CHECK_KEY].passed and evaluations[ANOMALY_CHECK_KEY].passed

    write_marts(warehouse, BUDGETS, ANOMALIES)
    evaluations = _checks(warehouse, AlertsResource(budget_severity="ERROR", anomaly_severity="WARN"))
    assert evaluations[BUDGET_CHECK_KEY].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations[ANOMALY_CHECK_KEY].severity == dg.AssetCheckSeverity.WARN


def test_check_figures_from_bigquery_numerics(warehouse):
    """BigQuery returns NUMERIC as Decimal and a missing resource as None: the same figures."""
    import pandas as pd

    from orchestration.alerts.checks import anomaly_check_result, budget_check_result

    decimals = {"forecast_cost": Decimal("12345.67"), "budget_amount": Decimal("10000.00")}
    budgets = pd.DataFrame([budget_row("recommendations", "over", 12345.67, 10000.0, **decimals)])
    budgets["projected_over_under"] = budgets["projected_over_under"].map(lambda v: Decimal(str(v)))
    result = budget_check_result(budgets, dg.AssetCheckSeverity.WARN)
    assert result.metadata["projected_over_by_currency"].value == {"USD": 2345.67}
    assert "| 12,345.67 |" in result.metadata["worst"].value
    anomalies = pd.DataFrame([anomaly_row("a-1", "search", 10.0, impact_cost=Decimal("10.50"), resource_id=None)])
    result = anomaly_check_result(anomalies, dg.AssetCheckSeverity.WARN)
    assert result.metadata["impact_by_currency"].value == {"USD": 10.5} and "None" not in result.metadata["worst"].value


def test_an_anomaly_without_a_baseline_says_so():
    from orchestration.alerts.events import anomaly_event

    event = anomaly_event(anomaly_row("a-young", "search", 300.0, expected_cost=None, resource_id=None), "marts.x")
    assert "against no expected cost" in event.body and "against an expected" not in event.body
    assert "resource" not in event.body.splitlines()[0]
    assert event.key == "anomaly|a-young" and event.amount == 300.0


def test_severities_come_from_the_environment(monkeypatch):
    settings = Settings.from_env({"CHARGEBACK_ALERT_BUDGET_SEVERITY": "error"})
    assert dict(settings.alert_severities) == {"budget": "ERROR", "anomaly": "WARN"}
    with pytest.raises(SettingsError, match="CHARGEBACK_ALERT_ANOMALY_SEVERITY must be one of WARN, ERROR"):
        Settings.from_env({"CHARGEBACK_ALERT_ANOMALY_SEVERITY": "loud"})
    # Alert settings are the Python code's alone: changing them does not make dbt's manifest stale.
    assert Settings.from_env({ALERT_URLS_VARIABLE: "json://x"}).fingerprint() == Settings.from_env({}).fingerprint()


def test_checks_exist_only_for_marts_the_project_builds(warehouse, tmp_path):
    with_marts = json.loads(Path(warehouse.manifest_path).read_text())
    keys = {
        key for check in alert_checks_for(DbtManifest.read(Path(warehouse.manifest_path))) for key in check.check_keys
    }
    assert keys == {BUDGET_CHECK_KEY, ANOMALY_CHECK_KEY}
    # A project without the anomalies mart: the budget check alone (a check on no asset would not load).
    del with_marts["nodes"]["model.ai_chargeback.fct_cost_anomalies"]
    (tmp_path / "budgets-only.json").write_text(json.dumps(with_marts))
    [check] = alert_checks_for(DbtManifest.read(tmp_path / "budgets-only.json"))
    assert set(check.check_keys) == {BUDGET_CHECK_KEY}


# ----------------------------------------------------------------- in the pipeline, end to end
def test_checks_at_error_do_not_stop_the_publication_and_alerts_follow_it(
    warehouse, receiver, monkeypatch, resources_for, tmp_path
):
    """build_job as jobs.py defines it, on a graph with the real export, publication and alerts
    assets and stand-in marts (as dbt builds them: under the build stamp), the checks set to ERROR
    and failing: the build is published, and the alerts are sent after it."""
    monkeypatch.setenv(ALERT_URLS_VARIABLE, receiver.url())
    marts = [BUDGET_CHECK_KEY.asset_key, ANOMALY_CHECK_KEY.asset_key]

    @dg.multi_asset(specs=[dg.AssetSpec(key, deps=[gcp_billing_export.key]) for key in marts])
    def spend_marts(context: dg.AssetExecutionContext, warehouse: Warehouse):
        with building(warehouse, context.run.run_id):
            write_marts(warehouse, BUDGETS, ANOMALIES)
        yield from (dg.MaterializeResult(asset_key=key) for key in marts)

    # The export's schema gate, passing: this graph has no export (test_quality_pipeline.py tests the gate).
    @dg.asset_check(asset=gcp_billing_export.key, name=EXPORT_SCHEMA_KEY.name, blocking=True)
    def export_schema_passes() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    manifest = DbtManifest.read(Path(warehouse.manifest_path))
    definitions = dg.Definitions(
        # The business metrics too: build_job leaves them out by name.
        assets=[gcp_billing_export, business_metrics, spend_marts, build_publication_asset(marts), spend_alerts],
        asset_checks=[
            *alert_checks_for(manifest),
            export_schema_passes,
            # build_job leaves these out by name: they must exist for its selection to resolve.
            *build_export_freshness_checks(thresholds_from_source(manifest.export_source())),
        ],
        jobs=build_jobs(is_local=True),
        resources={
            **resources_for(tmp_path / "warehouse.duckdb"),
            "warehouse": warehouse,
            "alerts": AlertsResource(budget_severity="ERROR", anomaly_severity="ERROR"),
        },
    )
    job = definitions.resolve_job_def(BUILD_JOB)
    nodes = {node.name for node in job.graph.nodes}
    assert {"published_warehouse", "spend_alerts", "fct_budget_status_budget_at_risk_or_over"} <= nodes
    result = job.execute_in_process(raise_on_error=False)
    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    for key in (BUDGET_CHECK_KEY, ANOMALY_CHECK_KEY):
        assert not evaluations[key].passed and evaluations[key].severity == dg.AssetCheckSeverity.ERROR
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {dg.AssetKey(["published_warehouse"]), SPEND_ALERTS} <= materialized
    with duckdb.connect(str(warehouse.published), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_budget_status").fetchone()[0] == len(BUDGETS)
    assert len(receiver.take()) == 3


# ------------------------------------------------------------------------- BigQuery, offline
def test_on_bigquery_the_ledger_is_beside_check_results_and_messages_name_the_published_dataset(
    bigquery_warehouse,
):
    import pandas as pd

    from orchestration.alerts.events import budget_event, published_name
    from orchestration.alerts.ledger import delivered, record
    from orchestration.transform.project import Relation

    ledger = "finops-prod.finops_quality.alert_deliveries"
    sent = pd.DataFrame({"event_key": ["anomaly|a-1"], "target_id": ["0123456789abcdef"]})
    warehouse, client = bigquery_warehouse({"select distinct event_key, target_id": sent}, {ledger: []})
    assert delivered(warehouse) == {("anomaly|a-1", "0123456789abcdef")}
    assert ("query", f"select distinct event_key, target_id from `{ledger}`") in client.calls

    where = published_name(warehouse, Relation("finops-prod", "finops_build", "fct_budget_status"))
    assert where == "finops-prod.finops.fct_budget_status", "readers query the published dataset, not _build"
    event = budget_event(budget_row("search", "over", 2000.0, 1000.0), where)
    record(warehouse, event, [("fedcba9876543210", "slack")], run_id="run-1")
    [(_, destination, frame, disposition)] = [call for call in client.calls if call[0] == "load"]
    assert destination == ledger and disposition == "WRITE_APPEND"
    assert frame.loc[0, "event_key"] == "budget|2026-12-01|search|all|all|USD|over"
    assert frame.loc[0, "amount"] == 2000.0 and str(frame["sent_at"].dtype) == "datetime64[ns, UTC]"
