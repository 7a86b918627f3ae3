"""Unit costs on a small generated export, through the real jobs: they are what the generated
prices imply (read from the loaded export's own `price` and `credits` fields, not from the marts'
SQL), and the business's generated metrics give a cost per thousand requests."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import run_job
from orchestration.generate.business_metrics import write_business_metrics
from orchestration.generate.gcp import generate_gcp_export
from orchestration.generate.gcp.timeline import usage_window_end
from orchestration.ingestion.assets import ingestion_run_config
from orchestration.ingestion.business_metrics_asset import business_metrics_run_config
from orchestration.settings import Settings
from orchestration.spend.unit_cost_report import render_unit_costs

# The same export as test_pipeline_end_to_end's (loading it again there changes nothing).
ROWS, SEED, START, MONTHS = 4000, 11, date(2026, 7, 1), 3


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    generate_gcp_export(out, rows=ROWS, seed=SEED, start=START, months=MONTHS)
    metrics = write_business_metrics(out, ROWS, SEED, START, usage_window_end(START, MONTHS))
    assert run_job("ingest_gcp_job", ingestion_run_config([str(out)]))
    assert run_job("ingest_business_metrics_job", business_metrics_run_config([str(metrics.parent)]))
    assert run_job("build_job")
    return metrics


def _query(sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _export_unit_prices(description_like: str, per: float) -> dict[tuple, tuple[float, float]]:
    """Per (usage month, currency): the export's price-weighted contracted price and its net cost
    (cost + credits) per unit, over the usage rows whose SKU description is like the pattern."""
    rows = _query(
        """
        select cast(date_trunc('month', usage_start_time) as date), currency,
               sum(cast(price.effective_price as double) * usage.amount_in_pricing_units),
               sum(cost + coalesce(list_sum([credit.amount for credit in credits]), 0)),
               sum(usage.amount_in_pricing_units)
        from raw.gcp_billing_export_resource_v1
        where sku.description like ? and cost_type = 'regular'
        group by all
        """,
        [description_like],
    )
    return {
        (month, currency): (priced / quantity * per, net / quantity * per)
        for month, currency, priced, net, quantity in rows
    }


def _mart_unit_costs(metric: str, subject: str) -> dict[tuple, tuple[float, float]]:
    rows = _query(
        "select charge_month, billing_currency, contracted_unit_cost, unit_cost from marts.fct_unit_costs "
        "where team = 'all' and metric = ? and subject = ?",
        [metric, subject],
    )
    return {(month, currency): (contracted, effective) for month, currency, contracted, effective in rows}


@pytest.mark.parametrize(
    ("metric", "subject", "description_like", "per"),
    [
        ("cost_per_accelerator_hour", "H100", "%H100%", 1.0),
        ("cost_per_million_input_tokens", "Gemini 2.5 Pro", "Gemini 2.5 Pro Input%", 1e6),
        ("cost_per_million_output_tokens", "Gemini 2.5 Flash", "Gemini 2.5 Flash Output%", 1e6),
    ],
    ids=["h100-hour", "gemini-pro-input", "gemini-flash-output"],
)
def test_unit_costs_are_what_the_generated_prices_imply(built, metric, subject, description_like, per):
    expected = _export_unit_prices(description_like, per)
    actual = _mart_unit_costs(metric, subject)
    assert expected, f"the generated export has no {subject} usage"
    assert actual.keys() == expected.keys()
    for key, (price, net) in expected.items():
        contracted_unit_cost, unit_cost = actual[key]
        # Each row's cost is its price times its quantity, rounded to 10^-6.
        assert contracted_unit_cost == pytest.approx(price, rel=1e-6), key
        assert unit_cost == pytest.approx(net, rel=1e-6), key


def test_requests_served_give_a_cost_per_thousand_requests(built):
    served: dict[tuple, float] = defaultdict(float)
    with built.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["metric"] == "requests_served":
                served[(date.fromisoformat(row["date"]).replace(day=1), row["team"])] += float(row["value"])
    rows = _query(
        "select charge_month, team, billing_currency, quantity, effective_cost, unit_cost from marts.fct_unit_costs "
        "where metric = 'cost_per_thousand_requests' and team != 'all'"
    )
    # Every team-month with requests and inference cost (a month without inference cost has none).
    assert rows and {(month, team) for month, team, *_ in rows} <= set(served)
    inference = {
        (month, team, currency): cost
        for month, team, currency, cost in _query(
            "select cast(date_trunc('month', charge_date) as date), team, billing_currency, sum(effective_cost) "
            "from marts.fct_cost_daily where workload_phase = 'inference' group by all"
        )
    }
    for month, team, currency, quantity, cost, unit_cost in rows:
        assert quantity == pytest.approx(served[(month, team)] / 1000)
        assert cost == inference[(month, team, currency)]
        assert unit_cost == pytest.approx(float(cost) / quantity)


def test_the_inference_share_is_the_inference_part_of_the_ai_phases(built):
    expected = {
        (month, currency): (float(inference) / float(ai) if ai else None)
        for month, currency, inference, ai in _query(
            """
            select cast(date_trunc('month', charge_date) as date), billing_currency,
                   sum(case when workload_phase = 'inference' then effective_cost else 0 end),
                   sum(effective_cost)
            from marts.fct_cost_daily
            where workload_phase in ('data_preparation', 'training', 'fine_tuning', 'inference', 'experimentation')
            group by all
            """
        )
    }
    actual = {
        (month, currency): share
        for month, currency, share in _query(
            "select charge_month, billing_currency, inference_share "
            "from marts.fct_ai_spend_mix_monthly where team = 'all'"
        )
    }
    assert actual.keys() == expected.keys()
    for key, share in expected.items():
        assert actual[key] == pytest.approx(share)


def test_the_demo_prints_the_newest_month(built):
    with duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True) as con:
        text = render_unit_costs(con)
    (newest,) = _query("select max(charge_month) from marts.fct_unit_costs")[0]
    assert text.startswith(f"Unit costs, usage month {newest:%Y-%m}")
    assert "per accelerator hour" in text and "Inference share of AI spend" in text


def test_each_day_s_requests_divide_that_day_s_inference_cost(built):
    requests: dict[tuple, float] = defaultdict(float)
    with built.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["metric"] == "requests_served":
                requests[(date.fromisoformat(row["date"]), row["team"])] += float(row["value"])
    expected = {
        (day, team, currency): float(cost) / (requests[(day, team)] / 1000)
        for day, team, currency, cost in _query(
            "select charge_date, team, billing_currency, sum(effective_cost) from marts.fct_cost_daily "
            "where workload_phase = 'inference' group by all having sum(effective_cost) > 0"
        )
        if requests.get((day, team))
    }
    actual = {
        (day, team, currency): unit_cost
        for day, team, currency, unit_cost in _query(
            "select charge_date, team, billing_currency, unit_cost from marts.fct_business_unit_costs_daily "
            "where metric = 'cost_per_thousand_requests'"
        )
    }
    assert expected and actual.keys() == expected.keys()
    for key, unit_cost in expected.items():
        assert actual[key] == pytest.approx(unit_cost), key
