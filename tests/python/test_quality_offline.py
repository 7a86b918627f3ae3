"""The data-quality checks without a warehouse build: the GX suites on hand-made figures, the
one query the export-schema gate writes, the results table on both warehouses (BigQuery with a
fake client), and the generator flag that breaks tag coverage."""

from __future__ import annotations

import gzip
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlglot

from orchestration.generate.gcp import generate_gcp_export
from orchestration.ingestion import gcp_schema
from orchestration.quality import suites
from orchestration.quality.gx_checks import results_relation, run_checks
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.quality.results import CheckOutcome, results_frame
from orchestration.resources import DuckDBWarehouse
from orchestration.transform.project import GCP_EXPORT_SOURCE, Relation

EXPORT = Relation("billing-project", "billing_export", "gcp_billing_export_resource_v1_0123AB_4567CD_89EF01")


def _manifest(path: Path, database: str = "finops-prod", quality_schema: str = "finops_quality") -> Path:
    """A manifest with what the checks look up: the export source and the quality models."""

    def node(name: str) -> dict:
        return {"resource_type": "model", "name": name, "database": database, "schema": quality_schema, "alias": name}

    path.write_text(
        json.dumps(
            {
                "sources": {
                    GCP_EXPORT_SOURCE: {
                        "database": EXPORT.database,
                        "schema": EXPORT.schema,
                        "identifier": EXPORT.identifier,
                    }
                },
                "nodes": {
                    f"model.ai_chargeback.{name}": node(name) for name in (suites.COVERAGE_MODEL, suites.UNTAGGED_MODEL)
                },
            }
        )
    )
    return path


class _FakeWarehouse:
    """Answers each query by the relation it reads; what the suites need of a Warehouse."""

    def __init__(self, frames: dict[str, pd.DataFrame], columns: dict[str, str] | None = None):
        self.frames, self.columns, self.sent = frames, columns or {}, []

    def export(self) -> Relation:
        return EXPORT

    def model(self, name: str) -> Relation:
        return Relation("finops-prod", "finops_quality", name)

    def quoted(self, relation: Relation) -> str:
        return f"`{relation.database}.{relation.schema}.{relation.identifier}`"

    def exists(self, relation: Relation) -> bool:
        return bool(self.columns)

    def column_kinds(self, relation: Relation) -> dict[str, str]:
        return self.columns

    def query(self, text: str) -> pd.DataFrame:
        self.sent.append(text)
        for needle, frame in self.frames.items():
            if needle in text:
                return frame.copy()
        raise AssertionError(f"unexpected query: {text}")


def _coverage_frame(tag_share_of_direct: list[float], shared: float = 10.0) -> pd.DataFrame:
    """qa_tag_coverage_by_provider_day's shape, from tag shares of a 100-unit direct cost."""
    rows = []
    for i, share in enumerate(tag_share_of_direct):
        direct = 100.0
        rows.append(
            {
                "provider_name": "Google Cloud",
                "charge_date": date(2026, 7, 1 + i),
                "effective_cost": Decimal(str(direct + shared)),
                "tag_attributed_cost": Decimal(str(direct * share)),
                "rule_attributed_cost": Decimal(str(direct * (1 - share))),
                "shared_allocated_cost": Decimal(str(shared)),
                "unallocated_cost": Decimal("0"),
                "line_item_count": 500,
                "direct_cost": Decimal(str(direct)),
                "tag_coverage": share,
                "attributed_coverage": 1.0,
                "unallocated_share": 0.0,
                "unallocated_share_increase": None if i == 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)


OFFENDERS = pd.DataFrame(
    [
        {
            "provider_name": "Google Cloud",
            "sub_account_id": "ai-sandbox-4471",
            "service_name": "Compute Engine",
            "untagged_cost": Decimal("968.35"),
            "unallocated_cost": Decimal("0"),
            "line_item_count": 206,
        }
    ]
)


def _coverage_warehouse(shares: list[float]) -> _FakeWarehouse:
    return _FakeWarehouse({suites.COVERAGE_MODEL: _coverage_frame(shares), suites.UNTAGGED_MODEL: OFFENDERS})


@pytest.fixture(scope="module")
def validator():
    return suites.GxValidator(None)


def test_tag_coverage_suite_passes_and_fails_on_the_threshold(validator):
    thresholds = suites.Thresholds()
    good = suites.check_tag_coverage(validator, _coverage_warehouse([0.95, 0.93, 0.97]), thresholds, "WARN")
    assert good.passed and good.observed_value == pytest.approx(0.93)
    # Shared-pool shares are left out of the base: 93 of 100 direct, not 93 of 110.
    assert good.details["overall_tag_coverage"] == pytest.approx((95 + 93 + 97) / 300)

    bad = suites.check_tag_coverage(validator, _coverage_warehouse([0.95, 0.62, 0.97]), thresholds, "WARN")
    assert not bad.passed and bad.severity == "WARN"
    assert bad.observed_value == pytest.approx(0.62) and bad.threshold == 0.90
    assert bad.details["days_below_target"] == 1
    assert bad.details["worst_days"][0]["charge_date"] == "2026-07-02"
    assert bad.details["top_offenders"][0]["sub_account_id"] == "ai-sandbox-4471"
    assert "1 of 3 provider-days below target" in bad.summary
    failed = [e for e in bad.details["expectations"] if not e["success"]]
    assert [e["expectation"] for e in failed] == ["expect_column_values_to_be_between"]


def test_small_days_are_not_judged(validator):
    warehouse = _coverage_warehouse([0.5, 0.95])
    warehouse.frames[suites.COVERAGE_MODEL].loc[0, "line_item_count"] = 12
    outcome = suites.check_tag_coverage(validator, warehouse, suites.Thresholds(), "WARN")
    assert outcome.passed and outcome.details["days_too_small_to_judge"] == 1


def test_days_that_cost_nothing_have_no_coverage_and_do_not_break_the_check(validator):
    """Free-tier days (direct cost 0): coverage is undefined (the mart's NULL), and the summary says so
    instead of failing to format it (found by test_ingest_refusals' property test)."""
    warehouse = _coverage_warehouse([0.95, 0.95])
    frame = warehouse.frames[suites.COVERAGE_MODEL]
    for column in (
        "effective_cost",
        "tag_attributed_cost",
        "rule_attributed_cost",
        "shared_allocated_cost",
        "direct_cost",
    ):
        frame[column] = Decimal("0")
    frame["tag_coverage"] = frame["attributed_coverage"] = None
    outcome = suites.check_tag_coverage(validator, warehouse, suites.Thresholds(), "WARN")
    assert "lowest none (no direct cost), overall none (no direct cost)" in outcome.summary


def test_unallocated_growth_suite(validator):
    frame = pd.DataFrame(
        {
            "provider_name": ["Google Cloud"] * 3,
            "charge_date": [date(2026, 7, d) for d in (1, 2, 3)],
            "unallocated_cost": [1.0, 2.0, 12.0],
            "unallocated_share": [0.01, 0.02, 0.12],
            "unallocated_share_increase": [None, 0.01, 0.10],
        }
    )
    warehouse = _FakeWarehouse({suites.COVERAGE_MODEL: frame})
    outcome = suites.check_unallocated_growth(validator, warehouse, suites.Thresholds(), "WARN")
    assert not outcome.passed and outcome.observed_value == pytest.approx(0.10)
    assert outcome.details["days_above_limit"][0]["charge_date"] == "2026-07-03"
    relaxed = suites.check_unallocated_growth(
        validator, warehouse, suites.Thresholds(unallocated_share_max_increase=0.2), "WARN"
    )
    assert relaxed.passed


def test_export_schema_suite_names_missing_and_mistyped_fields(validator):
    columns = {
        "billing_account_id": "STRING",
        "service": "RECORD",
        "cost": "STRING",
        "currency": "STRING",
        "surprise_field": "STRING",
    }
    counts = pd.DataFrame(
        [
            {
                "total_rows": 10,
                "billing_account_id__nulls": 0,
                "service__id__nulls": 2,
                "cost__nulls": 0,
                "currency__nulls": 0,
            }
        ]
    )
    outcome = suites.check_export_schema(
        validator, _FakeWarehouse({"total_rows": counts}, columns), suites.Thresholds(), "ERROR"
    )
    assert not outcome.passed
    problems = outcome.details["problems"]
    assert "cost: type STRING, expected FLOAT" in problems
    assert "service.id: 2 of 10 rows have no value" in problems
    assert "export_time: missing column (expected TIMESTAMP)" in problems
    assert "sku.id: 10 of 10 rows have no value" in problems
    assert outcome.details["extra_columns"] == ["surprise_field"]


def test_export_schema_of_a_missing_table_says_so(validator):
    outcome = suites.check_export_schema(validator, _FakeWarehouse({}), suites.Thresholds(), "ERROR")
    assert not outcome.passed and "does not exist" in outcome.summary


def test_required_values_sql_reads_alike_on_both_warehouses():
    """The one query the export-schema gate writes itself: plain SQL that BigQuery parses and
    DuckDB runs, counting the rows without each required field (ingestion's list)."""
    statement = suites.required_values_sql("`p.d.export`", {"billing_account_id", "sku", "cost"})
    sqlglot.parse_one(statement, read="bigquery")
    with duckdb.connect() as con:
        con.execute(
            "create table export as select * from (values ('A', {'id': 'S'}, 1.0), "
            "(null, {'id': null}, 2.0)) t(billing_account_id, sku, cost)"
        )
        row = con.execute(suites.required_values_sql("export", {"billing_account_id", "sku", "cost"})).df().iloc[0]
    assert (row["total_rows"], row["billing_account_id__nulls"], row["sku__id__nulls"], row["cost__nulls"]) == (
        2,
        1,
        1,
        0,
    )
    assert "service__id__nulls" not in row  # not present: reported as missing, not counted
    assert set(gcp_schema.REQUIRED_FIELDS) >= {"billing_account_id", "sku.id", "cost", "invoice.month"}


def test_severity_and_thresholds_come_from_config_then_dbt_vars():
    resource = GreatExpectationsResource(tag_coverage_min=0.5, tag_coverage_severity="error")
    thresholds = resource.thresholds()
    assert thresholds.tag_coverage_min == 0.5
    assert thresholds.attributed_coverage_min == 0.98  # dbt_project.yml vars
    assert resource.severity(suites.TAG_COVERAGE) == "ERROR"
    assert GreatExpectationsResource().severity(suites.UNALLOCATED_GROWTH) == "WARN"
    with pytest.raises(ValueError, match="severity of gx_export_schema"):
        GreatExpectationsResource(export_schema_severity="fatal").severity(suites.EXPORT_SCHEMA)


def _outcome(passed: bool) -> CheckOutcome:
    return CheckOutcome(
        check_name=suites.TAG_COVERAGE,
        asset_key="fct_tag_coverage_daily",
        severity="WARN",
        passed=passed,
        observed_value=0.61 if passed else None,
        threshold=0.9,
        summary="s",
        details={"top_offenders": [{"cost": Decimal("1.5")}]},
    )


def test_duckdb_results_table_is_created_and_appended(tmp_path):
    from dagster_duckdb import DuckDBResource

    path = tmp_path / "w.duckdb"
    warehouse = DuckDBWarehouse(
        manifest_path=str(_manifest(tmp_path / "manifest.json", "w", "quality")),
        duckdb=DuckDBResource(database=str(path)),  # the working copy, which runs write
        published_path=str(tmp_path / "published.duckdb"),
    )
    relation = results_relation(warehouse)
    assert (relation.schema, relation.identifier) == ("quality", "check_results")
    warehouse.append(relation, results_frame([_outcome(True).row("run-1", "duckdb")]))
    warehouse.append(relation, results_frame([_outcome(False).row("run-2", "duckdb")]))
    with duckdb.connect(str(path)) as con:
        rows = con.execute(
            "select run_id, passed, observed_value, threshold, json_extract(details, '$.top_offenders[0].cost') "
            "from quality.check_results order by run_id"
        ).fetchall()
    # A missing figure is NULL, not NaN.
    assert rows == [("run-1", True, 0.61, 0.9, "1.5"), ("run-2", False, None, 0.9, "1.5")]


def test_bigquery_checks_query_and_record_through_the_client(bigquery_warehouse):
    """The BigQuery path with a fake client: the same suites, relations from the manifest, one load job."""
    warehouse, client = bigquery_warehouse(
        {suites.COVERAGE_MODEL: _coverage_frame([0.5, 0.5]), suites.UNTAGGED_MODEL: OFFENDERS}
    )
    (outcome,) = run_checks(GreatExpectationsResource(), warehouse, [suites.TAG_COVERAGE], run_id="run-9")
    assert not outcome.passed
    queries = [call[1] for call in client.calls if call[0] == "query"]
    assert all(sqlglot.parse_one(text, read="bigquery") for text in queries)
    assert "`finops-prod.finops_quality.qa_tag_coverage_by_provider_day`" in queries[0]
    dataset, load = client.calls[-2], client.calls[-1]
    assert dataset[:3] == ("create_dataset", "finops_quality", "EU")
    _, destination, frame, disposition = load
    assert destination == "finops-prod.finops_quality.check_results" and disposition == "WRITE_APPEND"
    assert list(frame.columns)[:5] == ["run_id", "check_name", "asset_key", "severity", "passed"]
    assert frame["passed"].tolist() == [False] and str(frame["checked_at"].dt.tz) == "UTC"


# --------------------------------------------------------------------------------------------
# the generator flag
# --------------------------------------------------------------------------------------------
def _rows(out: Path) -> list[dict]:
    rows = []
    for path in sorted(out.glob("gcp_billing_export_resource_v1_*/**/*.json.gz")):
        with gzip.open(path, "rt") as handle:
            rows += [json.loads(line) for line in handle]
    return rows


def _team_keyed(row: dict) -> bool:
    from orchestration.generate.gcp import is_team_key

    labels = row.get("labels", []) + row.get("tags", []) + (row.get("project") or {}).get("labels", [])
    return any(is_team_key(label["key"]) for label in labels)


def test_untagged_share_strips_team_labels_deterministically(tmp_path):
    plain = _rows_for(tmp_path / "plain", 0.0)
    broken = _rows_for(tmp_path / "broken", 0.4)
    again = _rows_for(tmp_path / "again", 0.4)
    assert broken == again, "not deterministic for a seed"
    # The same line items and money: only labels differ.
    strip = lambda row: {k: v for k, v in row.items() if k not in ("labels", "tags", "project")}  # noqa: E731
    assert [strip(r) for r in plain] == [strip(r) for r in broken]
    cost = lambda rows: sum(float(r["cost"]) for r in rows if r.get("cost_type") == "regular")  # noqa: E731
    team_cost_plain = cost([r for r in plain if _team_keyed(r)]) / cost(plain)
    team_cost_broken = cost([r for r in broken if _team_keyed(r)]) / cost(broken)
    assert team_cost_plain - team_cost_broken > 0.25, (team_cost_plain, team_cost_broken)
    manifest = json.loads((tmp_path / "broken" / "manifest.json").read_text())
    assert 0.3 < manifest["untagged_share"] <= 0.45


def _rows_for(out: Path, share: float) -> list[dict]:
    generate_gcp_export(out, rows=3000, seed=5, months=1, untagged_share=share)
    return _rows(out)


def test_untagged_share_must_be_a_share(tmp_path):
    with pytest.raises(ValueError, match="untagged share"):
        generate_gcp_export(tmp_path, rows=100, seed=1, months=1, untagged_share=1.5)
