"""A small published warehouse for the HTML report's tests: the real marts' tables (every column,
as the mart YAML lists them; a test checks they still match) and the marts being built in
parallel (forecast, budget status, unit costs, anomalies) by their contract, with deterministic
figures shaped like the demo's: weekly rhythm, an inference spike, two currencies."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MONTH = date(2026, 9, 1)
PREVIOUS_MONTH = date(2026, 8, 1)
DATA_THROUGH = date(2026, 9, 14)
HOSTILE_TEAM = '<img src=x onerror="alert(1)">&r&d'  # a team label as someone might type it

# Real marts: the columns as built (checked against models/marts/chargeback/_chargeback__models.yml).
REAL_MART_TABLES = {
    "fct_cost_daily": """charge_date date, provider_name varchar, billing_account_id varchar,
        sub_account_id varchar, service_name varchar, billing_currency varchar, team varchar,
        workload_phase varchar, effective_cost decimal(38, 9), billed_cost decimal(38, 9),
        list_cost decimal(38, 9), credits_total decimal(38, 9), line_item_count bigint""",
    "fct_unallocated_costs": """cost_rank bigint, provider_name varchar, billing_account_id varchar,
        billing_currency varchar, sub_account_id varchar, sub_account_name varchar, resource_id varchar,
        resource_name varchar, service_name varchar, unallocated_reason varchar, team_label_value varchar,
        tags_sample varchar, distinct_tag_set_count bigint, effective_cost decimal(38, 9),
        billed_cost decimal(38, 9), line_item_count bigint, first_charge_date date, last_charge_date date,
        charge_day_count bigint""",
    "dim_teams": """team varchar, team_name varchar, cost_center varchar, owner_email varchar,
        description varchar, is_known_team boolean""",
}
# The watching-spend marts (models/marts/spend/), columns as their YAML lists them (checked too).
CONTRACT_MART_TABLES = {
    "fct_month_end_forecast": """charge_month date, team varchar, workload_phase varchar, provider_name varchar,
        billing_currency varchar, data_through date, settled_through date, month_to_date_cost decimal(38, 9),
        forecast_cost decimal(38, 9), forecast_low decimal(38, 9), forecast_high decimal(38, 9),
        unsettled_day_count integer, method varchar""",
    "fct_budget_status": """charge_month date, budget_id varchar, team varchar, workload_phase varchar,
        provider_name varchar, billing_currency varchar, budget_amount decimal(38, 9),
        month_to_date_cost decimal(38, 9), forecast_cost decimal(38, 9), forecast_low decimal(38, 9),
        forecast_high decimal(38, 9), projected_over_under decimal(38, 9), status varchar, owner_contact varchar,
        data_through date""",
    "fct_unit_costs": """charge_month date, team varchar, billing_currency varchar, metric varchar, subject varchar,
        quantity_unit varchar, quantity double, effective_cost decimal(38, 9), contracted_cost decimal(38, 9),
        unit_cost double, contracted_unit_cost double""",
    "fct_cost_anomalies": """anomaly_id varchar, billing_currency varchar, team varchar, workload_phase varchar,
        service_name varchar, resource_id varchar, first_day date, last_day date, days integer, detected_on date,
        expected_cost decimal(38, 9), actual_cost decimal(38, 9), impact_cost decimal(38, 9), status varchar,
        drivers varchar, data_through date""",
}

# (team, currency, phase, service): cost on a weekday; weekends are quieter.
SPEND = [
    ("foundation-models", "USD", "training", "Compute Engine", 900.0),
    ("foundation-models", "USD", "data_preparation", "BigQuery", 120.0),
    ("inference-platform", "USD", "inference", "Vertex AI", 640.0),
    ("inference-platform", "USD", "non_ai", "Kubernetes Engine", 90.0),
    ("inference-platform", "EUR", "inference", "Vertex AI", 210.0),
    ("applied-ml", "USD", "fine_tuning", "Vertex AI", 260.0),
    ("applied-ml", "USD", "inference", "Vertex AI", 110.0),
    ("applied-ml", "USD", "experimentation", "Vertex AI Workbench", 45.0),
    ("web-app", "USD", "non_ai", "Cloud Run", 150.0),
    ("unallocated", "USD", "unclassified", "Compute Engine", 35.0),
]
SPIKE = ("inference-platform", "USD", "inference", date(2026, 9, 8), date(2026, 9, 10), 700.0)


def _daily_rows(teams: list[tuple]) -> list[tuple]:
    rows, rng = [], random.Random(7)
    day = PREVIOUS_MONTH - timedelta(days=45)
    while day <= DATA_THROUGH:
        for team, currency, phase, service, base in teams:
            cost = base * (0.65 if day.weekday() >= 5 else 1.0) * rng.uniform(0.85, 1.15)
            if (team, currency, phase) == SPIKE[:3] and SPIKE[3] <= day <= SPIKE[4]:
                cost += SPIKE[5]
            cost = round(cost, 6)
            rows.append(
                (day, "Google Cloud", "0123AB-4567CD-89EF01", f"{team}-prod", service, currency, team, phase,
                 cost, cost, round(cost * 1.2, 6), 0, 40)
            )  # fmt: skip
        day += timedelta(days=1)
    return rows


def _month_to_date(daily: list[tuple]) -> dict[tuple, float]:
    totals: dict[tuple, float] = {}
    for row in daily:
        if row[0] >= MONTH:
            for phase in ("all", row[7]):
                key = (row[6], row[5], phase)
                totals[key] = totals.get(key, 0.0) + row[8]
    return totals


def build_report_warehouse(path: Path, *, parallel_marts: bool = True, hostile_team: bool = True) -> Path:
    """Write the warehouse file at `path`; `parallel_marts=False` leaves out the four marts not built yet."""
    teams = SPEND + ([(HOSTILE_TEAM, "USD", "inference", "Vertex AI", 30.0)] if hostile_team else [])
    daily = _daily_rows(teams)
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema seeds")
    tables = {**REAL_MART_TABLES, **(CONTRACT_MART_TABLES if parallel_marts else {})}
    for name, columns in tables.items():
        con.execute(f"create table marts.{name} ({columns})")
    con.executemany(f"insert into marts.fct_cost_daily values ({', '.join(['?'] * 13)})", daily)
    with (PROJECT_ROOT / "seeds" / "workload_phases.csv").open(newline="") as seed:
        phases = [(row["workload_phase"], row["is_ai"] == "true") for row in csv.DictReader(seed)]
    con.execute("create table seeds.workload_phases (workload_phase varchar, is_ai boolean)")
    con.executemany("insert into seeds.workload_phases values (?, ?)", phases)
    names = sorted({team for team, *_ in teams} - {"unallocated"})
    con.executemany(
        "insert into marts.dim_teams values (?, ?, ?, ?, ?, ?)",
        [(team, team.replace("-", " ").title(), None, f"{team}@example.com", "", True) for team in names]
        + [("unallocated", "Unallocated", None, None, "Cost no tag or rule attributes", False)],
    )
    con.executemany(
        f"insert into marts.fct_unallocated_costs values ({', '.join(['?'] * 19)})",
        [
            (1, "Google Cloud", "0123AB-4567CD-89EF01", "USD", "sandbox-42", "Sandbox", "vm/old-h100",
             "old-h100-runner", "Compute Engine", "no_team_label", None, "{}", 1, 512.4, 512.4, 90,
             date(2026, 8, 1), DATA_THROUGH, 45),
            (2, "Google Cloud", "0123AB-4567CD-89EF01", "USD", "shared-data", "Shared data", "bq/adhoc",
             "adhoc-scans", "BigQuery", "unknown_team", "serch-ranking", '{"team": "serch-ranking"}', 1,
             141.0, 141.0, 12, date(2026, 9, 2), date(2026, 9, 12), 8),
        ],
    )  # fmt: skip
    if parallel_marts:
        _parallel_marts(con, _month_to_date(daily), names)
    con.close()
    return path


def _parallel_marts(con: duckdb.DuckDBPyConnection, month_to_date: dict[tuple, float], teams: list[str]) -> None:
    days_in_month, days_seen = 30, DATA_THROUGH.day
    forecast_rows = []
    for (team, currency, phase), cost in sorted(month_to_date.items()):
        forecast = cost / days_seen * days_in_month
        forecast_rows.append(
            (MONTH, team, phase, "all", currency, DATA_THROUGH, DATA_THROUGH - timedelta(days=2), cost, forecast,
             forecast * 0.9, forecast * 1.12, "seasonal_run_rate")
        )  # fmt: skip
    con.executemany(
        "insert into marts.fct_month_end_forecast (charge_month, team, workload_phase, provider_name, "
        "billing_currency, data_through, settled_through, month_to_date_cost, forecast_cost, forecast_low, "
        "forecast_high, method) "
        f"values ({', '.join(['?'] * 12)})",
        forecast_rows,
    )
    forecasts = {(row[1], row[4], row[2]): row for row in forecast_rows}
    budgets = [  # (team, currency, phase, budget amount as a share of the forecast)
        ("foundation-models", "USD", "all", 0.92),
        ("inference-platform", "USD", "all", 1.04),
        ("inference-platform", "USD", "inference", 1.3),
        ("applied-ml", "USD", "all", 1.4),
        ("inference-platform", "EUR", "all", 1.5),
    ]
    budget_rows = []
    for number, (team, currency, phase, share) in enumerate(budgets, start=1):
        row = forecasts[team, currency, phase]
        amount = round(row[8] * share, -2)
        status = "over" if row[8] > amount else "at_risk" if row[10] > amount else "on_track"
        budget_rows.append(
            (MONTH, f"b{number}", team, phase, "all", currency, amount, row[7], row[8], row[9], row[10],
             row[8] - amount, status, f"{team}@example.com", DATA_THROUGH)
        )  # fmt: skip
    con.executemany(f"insert into marts.fct_budget_status values ({', '.join(['?'] * 15)})", budget_rows)
    unit_rows = []
    for month, drift in ((PREVIOUS_MONTH, 1.0), (MONTH, 0.93)):
        unit_rows += [
            (month, "inference-platform", "USD", "cost per million output tokens", "gemini-2.5-pro", 4100 * drift,
             410.0, "million tokens", 10.0 * drift),
            (month, "inference-platform", "USD", "cost per prediction-node hour", "n1-standard-8 + L4", 2200.0,
             1460.0 * drift, "node hours", 2200.0 / (1460.0 * drift)),
            (month, "foundation-models", "USD", "cost per GPU hour", "H100", 15800.0 / drift, 1600.0, "GPU hours",
             15800.0 / drift / 1600.0),
            (month, "applied-ml", "USD", "cost per thousand requests", None, 3300.0, 5400.0 * drift,
             "thousand requests", 3300.0 / (5400.0 * drift)),
        ]  # fmt: skip
    con.executemany(
        "insert into marts.fct_unit_costs (charge_month, team, billing_currency, metric, subject, effective_cost, "
        f"quantity, quantity_unit, unit_cost) values ({', '.join(['?'] * 9)})",
        unit_rows,
    )
    drivers = json.dumps(
        [
            {"kind": "sku", "value": "Vertex AI online prediction, L4", "share": "71%"},
            {"kind": "resource", "value": "endpoints/chat-assist-prod", "share": "64%"},
            {"kind": "label", "value": "env=prod", "share": "100%"},
        ]
    )
    team, currency, phase, first, last, extra = SPIKE
    con.executemany(
        "insert into marts.fct_cost_anomalies (anomaly_id, team, workload_phase, service_name, billing_currency, "
        "first_day, last_day, expected_cost, actual_cost, impact_cost, status, drivers) "
        f"values ({', '.join(['?'] * 12)})",
        [
            ("a1", team, phase, "Vertex AI", currency, first, last, 3 * 640.0, 3 * 640.0 + 3 * extra, 3 * extra,
             "new", drivers),
            ("a2", "foundation-models", "training", "Compute Engine", "USD", date(2026, 8, 18), date(2026, 8, 20),
             2700.0, 4100.0, 1400.0, "resolved", "sku Nvidia H100 80GB GPU +1200.00; resource vm/train-7 +1150.00"),
        ],
    )  # fmt: skip
