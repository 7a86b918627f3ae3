"""The data-quality checks without a warehouse build: the SQL for both warehouses, the GX
suites on hand-made figures, the BigQuery paths with fake clients, and the generator flag
that breaks tag coverage."""

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
from orchestration.quality import sql, suites
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.quality.results import BigQueryResultsWriter, CheckOutcome, DuckDBResultsWriter
from orchestration.quality.sql import DIALECTS, Relation

BQ = DIALECTS["bigquery"]
RELATIONS = GreatExpectationsResource(
    warehouse="bigquery", bigquery_project="finops-prod", bigquery_dataset="finops",
    export_table="billing-project.billing_export.gcp_billing_export_resource_v1_0123AB_4567CD_89EF01",
).relations()


def _bigquery_statements() -> dict[str, str]:
    r = RELATIONS
    return {
        "tag_coverage": sql.tag_coverage_sql(BQ, r.coverage),
        "offenders": sql.unattributed_offenders_sql(BQ, r.line_items),
        "unallocated_growth": sql.unallocated_growth_sql(BQ, r.coverage),
        "conservation_before_marts": sql.conservation_sql(
            BQ, r.export, {"cost_groups": (r.cost_groups, "provider_name = 'Google Cloud'")}),
        "conservation": sql.conservation_sql(
            BQ, r.export, {"line_items": (r.line_items, "true"), "monthly": (r.monthly, "true")}),
        "required_fields": sql.required_fields_sql(BQ, r.export, {"billing_account_id", "service", "cost", "invoice"}),
        "columns": BQ.columns_query(r.export),
    }


@pytest.mark.parametrize("name", sorted(_bigquery_statements()))
def test_check_sql_parses_as_bigquery(name):
    statement = _bigquery_statements()[name]
    parsed = sqlglot.parse_one(statement, read="bigquery")
    # Round trip: what sqlglot understood is still BigQuery SQL naming the same tables.
    again = sqlglot.parse_one(parsed.sql(dialect="bigquery"), read="bigquery")
    tables = {table.name for table in again.find_all(sqlglot.exp.Table)}
    assert tables, statement
    assert "list_sum" not in statement and "lambda" not in statement, "DuckDB-only SQL in the BigQuery check"


def test_bigquery_relations_follow_the_dbt_layout():
    assert BQ.relation(RELATIONS.coverage) == "`finops-prod.finops.fct_tag_coverage_daily`"
    assert BQ.relation(RELATIONS.cost_groups) == "`finops-prod.finops_intermediate.int_cost_groups`"
    assert BQ.relation(RELATIONS.export) == "`billing-project.billing_export.gcp_billing_export_resource_v1_0123AB_4567CD_89EF01`"
    # The credits are summed per row, never unnested into extra rows.
    conservation = _bigquery_statements()["conservation"]
    assert "cross join" not in conservation.lower() and "from unnest(credits)" in conservation


def test_conservation_sql_runs_on_duckdb_and_finds_a_lost_row():
    duck = DIALECTS["duckdb"]
    with duckdb.connect() as con:
        con.execute("create schema raw; create schema marts")
        con.execute("""create table raw.export as select * from (values
            ('A', {'month': '202607'}, 'USD', 10.0::double, [{'amount': -1.0::double}]),
            ('A', {'month': '202607'}, 'USD', 5.0::double, []::struct(amount double)[]),
            ('B', {'month': '202607'}, 'EUR', 3.0::double, [{'amount': -0.5::double}, {'amount': -0.5::double}])
        ) t(billing_account_id, invoice, currency, cost, credits)""")
        con.execute("""create table marts.items as select * from (values
            ('A', '2026-07', 'USD', 14.0::decimal(38,9), 'gcp_billing_export')
        ) t(billing_account_id, invoice_month, billing_currency, billed_cost, source_system)""")
        text = sql.conservation_sql(duck, Relation("raw", "export"),
                                    {"items": (Relation("marts", "items"), "source_system = 'gcp_billing_export'")})
        rows = con.execute(text).fetchall()
    assert rows == [("A", "2026-07", "USD", Decimal("14.000000000"), Decimal("14.000000000")),
                    ("B", "2026-07", "EUR", Decimal("2.000000000"), None)]


def _frame_query(frames: dict[str, pd.DataFrame]):
    """A fake warehouse: answers each check query by the relation it reads."""
    def query(text: str) -> pd.DataFrame:
        for needle, frame in frames.items():
            if needle in text:
                return frame.copy()
        raise AssertionError(f"unexpected query: {text}")
    return query


def _coverage_frame(tag_share_of_direct: list[float], shared: float = 10.0) -> pd.DataFrame:
    rows = []
    for i, share in enumerate(tag_share_of_direct):
        direct = 100.0
        rows.append({"provider_name": "Google Cloud", "charge_date": date(2026, 7, 1 + i),
                     "effective_cost": Decimal(str(direct + shared)), "tag_attributed_cost": Decimal(str(direct * share)),
                     "rule_attributed_cost": Decimal(str(direct * (1 - share))), "shared_allocated_cost": Decimal(str(shared)),
                     "unallocated_cost": Decimal("0"), "line_item_count": 500})
    return pd.DataFrame(rows)


OFFENDERS = pd.DataFrame([{"provider_name": "Google Cloud", "sub_account_id": "ai-sandbox-4471",
                           "service_name": "Compute Engine", "untagged_cost": Decimal("968.35"),
                           "unallocated_cost": Decimal("0"), "line_item_count": 206}])


@pytest.fixture(scope="module")
def validator():
    return suites.GxValidator(None)


def test_tag_coverage_suite_passes_and_fails_on_the_threshold(validator):
    thresholds = suites.Thresholds()
    query = _frame_query({"fct_tag_coverage_daily": _coverage_frame([0.95, 0.93, 0.97]), "fct_cost_line_items": OFFENDERS})
    good = suites.check_tag_coverage(validator, query, DIALECTS["duckdb"], RELATIONS, thresholds, "WARN")
    assert good.passed and good.observed_value == pytest.approx(0.93)
    # Shared-pool shares are left out of the base: 93 of 100 direct, not 93 of 110.
    assert good.details["overall_tag_coverage"] == pytest.approx((95 + 93 + 97) / 300)

    query = _frame_query({"fct_tag_coverage_daily": _coverage_frame([0.95, 0.62, 0.97]), "fct_cost_line_items": OFFENDERS})
    bad = suites.check_tag_coverage(validator, query, DIALECTS["duckdb"], RELATIONS, thresholds, "WARN")
    assert not bad.passed and bad.severity == "WARN"
    assert bad.observed_value == pytest.approx(0.62) and bad.threshold == 0.90
    assert bad.details["days_below_target"] == 1
    assert bad.details["worst_days"][0]["charge_date"] == "2026-07-02"
    assert bad.details["top_offenders"][0]["sub_account_id"] == "ai-sandbox-4471"
    assert "1 of 3 provider-days below target" in bad.summary
    failed = [e for e in bad.details["expectations"] if not e["success"]]
    assert [e["expectation"] for e in failed] == ["expect_column_values_to_be_between"]


def test_small_days_are_not_judged(validator):
    frame = _coverage_frame([0.5, 0.95])
    frame.loc[0, "line_item_count"] = 12
    query = _frame_query({"fct_tag_coverage_daily": frame, "fct_cost_line_items": OFFENDERS})
    outcome = suites.check_tag_coverage(validator, query, DIALECTS["duckdb"], RELATIONS, suites.Thresholds(), "WARN")
    assert outcome.passed and outcome.details["days_too_small_to_judge"] == 1


def test_unallocated_growth_suite(validator):
    frame = pd.DataFrame({"provider_name": ["Google Cloud"] * 3, "charge_date": [date(2026, 7, d) for d in (1, 2, 3)],
                          "effective_cost": [100.0] * 3, "unallocated_cost": [1.0, 2.0, 12.0],
                          "unallocated_share": [0.01, 0.02, 0.12], "previous_unallocated_share": [None, 0.01, 0.02]})
    outcome = suites.check_unallocated_growth(validator, _frame_query({"fct_tag_coverage_daily": frame}),
                                              DIALECTS["duckdb"], RELATIONS, suites.Thresholds(), "WARN")
    assert not outcome.passed and outcome.observed_value == pytest.approx(0.10)
    assert outcome.details["days_above_limit"][0]["charge_date"] == "2026-07-03"
    relaxed = suites.check_unallocated_growth(validator, _frame_query({"fct_tag_coverage_daily": frame}),
                                              DIALECTS["duckdb"], RELATIONS,
                                              suites.Thresholds(unallocated_share_max_increase=0.2), "WARN")
    assert relaxed.passed


def test_export_schema_suite_names_missing_and_mistyped_fields(validator):
    columns = pd.DataFrame({"column_name": ["billing_account_id", "service", "cost", "currency", "surprise_field"],
                            "data_type": ["VARCHAR", "STRUCT(id VARCHAR)", "VARCHAR", "VARCHAR", "VARCHAR"]})
    counts = pd.DataFrame([{"total_rows": 10, "billing_account_id__nulls": 0, "service__id__nulls": 2,
                            "cost__nulls": 0, "currency__nulls": 0}])
    query = _frame_query({"information_schema": columns, "total_rows": counts})
    outcome = suites.check_export_schema(validator, query, DIALECTS["duckdb"], RELATIONS, suites.Thresholds(), "ERROR")
    assert not outcome.passed
    problems = outcome.details["problems"]
    assert "cost: type STRING, expected FLOAT" in problems
    assert "service.id: 2 of 10 rows have no value" in problems
    assert "export_time: missing column (expected TIMESTAMP)" in problems
    assert outcome.details["extra_columns"] == ["surprise_field"]


def test_severity_and_thresholds_come_from_config_then_dbt_vars():
    resource = GreatExpectationsResource(duckdb_path="x.duckdb", tag_coverage_min=0.5, tag_coverage_severity="error")
    thresholds = resource.thresholds()
    assert thresholds.tag_coverage_min == 0.5
    assert thresholds.attributed_coverage_min == 0.98  # dbt_project.yml vars
    assert thresholds.conservation_tolerance == 0.01
    assert resource.severity(suites.TAG_COVERAGE) == "ERROR"
    assert resource.severity(suites.MONEY_CONSERVED_BEFORE_MARTS) == "ERROR"
    assert GreatExpectationsResource().severity(suites.UNALLOCATED_GROWTH) == "WARN"
    with pytest.raises(ValueError, match="severity of gx_export_schema"):
        GreatExpectationsResource(export_schema_severity="fatal").severity(suites.EXPORT_SCHEMA)


def _outcome(passed: bool) -> CheckOutcome:
    return CheckOutcome(check_name=suites.TAG_COVERAGE, asset_key="fct_tag_coverage_daily", severity="WARN",
                        passed=passed, observed_value=0.61, threshold=0.9, summary="s",
                        details={"top_offenders": [{"cost": Decimal("1.5")}]})


def test_duckdb_results_table_is_created_and_appended(tmp_path):
    path = tmp_path / "w.duckdb"
    writer = DuckDBResultsWriter(lambda: duckdb.connect(str(path)))
    writer.append([_outcome(True).row("run-1", "duckdb")])
    writer.append([_outcome(False).row("run-2", "duckdb")])
    with duckdb.connect(str(path)) as con:
        rows = con.execute("select run_id, passed, observed_value, threshold, json_extract(details, '$.top_offenders[0].cost') "
                           "from quality.check_results order by run_id").fetchall()
    assert rows == [("run-1", True, 0.61, 0.9, "1.5"), ("run-2", False, 0.61, 0.9, "1.5")]


class _FakeJob:
    def result(self):
        return self


class _FakeBigQueryClient:
    def __init__(self):
        self.calls = []

    def create_dataset(self, dataset, exists_ok):
        self.calls.append(("create_dataset", dataset.dataset_id, dataset.location, exists_ok))

    def create_table(self, table, exists_ok):
        self.calls.append(("create_table", table.full_table_id if table.full_table_id else str(table.reference), [f.name for f in table.schema]))

    def load_table_from_json(self, rows, destination, job_config, location):
        self.calls.append(("load", destination, rows, job_config.write_disposition, location))
        json.dumps(rows)  # what the client would send must be JSON
        return _FakeJob()


def test_bigquery_results_writer_creates_and_appends_with_a_load_job():
    client = _FakeBigQueryClient()
    resource = GreatExpectationsResource(warehouse="bigquery", bigquery_project="finops-prod", bigquery_dataset="finops",
                                         bigquery_location="EU")
    resource.results_writer(client).append([_outcome(False).row("run-9", "bigquery")])
    kinds = [call[0] for call in client.calls]
    assert kinds == ["create_dataset", "create_table", "load"]
    assert client.calls[0][1:3] == ("finops_quality", "EU")
    assert client.calls[1][2][:5] == ["run_id", "check_name", "asset_key", "severity", "passed"]
    _, destination, rows, disposition, location = client.calls[2]
    assert destination == "finops-prod.finops_quality.check_results" and disposition == "WRITE_APPEND"
    assert rows[0]["passed"] is False and json.loads(rows[0]["details"])["top_offenders"][0]["cost"] == 1.5


def test_bigquery_checks_query_through_the_client(monkeypatch):
    """The BigQuery path end to end with a fake client: the same suites, BigQuery SQL."""
    sent = []

    class Result:
        def __init__(self, frame):
            self.frame = frame

        def result(self):
            return self

        def to_dataframe(self):
            return self.frame

    class Client(_FakeBigQueryClient):
        def query(self, text, location=None):
            sent.append(text)
            if "fct_tag_coverage_daily" in text:
                return Result(_coverage_frame([0.5, 0.5]))
            return Result(OFFENDERS)

    client = Client()
    resource = GreatExpectationsResource(warehouse="bigquery", bigquery_project="finops-prod", bigquery_dataset="finops")
    (outcome,) = resource.run([suites.TAG_COVERAGE], run_id="r", bigquery_client=client)
    assert not outcome.passed
    assert all(sqlglot.parse_one(text, read="bigquery") for text in sent)
    assert "`finops-prod.finops.fct_tag_coverage_daily`" in sent[0]
    assert client.calls[-1][0] == "load"


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
