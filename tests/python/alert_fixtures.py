"""Stand-ins for the spend marts and a local notification receiver, for the alerts' tests (a
helper module, not a test module).

The marts (fct_budget_status, fct_cost_anomalies) are created here with the output contract's
columns (helper brief, "Contract between the parts"), in the working copy of a test's own DuckDB
warehouse, and added to a copy of the session's dbt manifest so the warehouse resource finds
them as it finds every model.
"""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from orchestration.resources import DuckDBWarehouse

BUDGET_COLUMNS = {
    "charge_month": "date",
    "budget_id": "varchar",
    "team": "varchar",
    "workload_phase": "varchar",
    "provider_name": "varchar",
    "billing_currency": "varchar",
    "budget_amount": "decimal(18, 2)",
    "month_to_date_cost": "decimal(18, 6)",
    "forecast_cost": "decimal(18, 6)",
    "forecast_low": "decimal(18, 6)",
    "forecast_high": "decimal(18, 6)",
    "projected_over_under": "decimal(18, 6)",
    "status": "varchar",
    "owner_contact": "varchar",
    "data_through": "date",
}
ANOMALY_COLUMNS = {
    "anomaly_id": "varchar",
    "billing_currency": "varchar",
    "team": "varchar",
    "workload_phase": "varchar",
    "service_name": "varchar",
    "resource_id": "varchar",
    "first_day": "date",
    "last_day": "date",
    "days": "integer",
    "expected_cost": "decimal(18, 6)",
    "actual_cost": "decimal(18, 6)",
    "impact_cost": "decimal(18, 6)",
    "status": "varchar",
    "drivers": "varchar",
    "data_through": "date",
}
MARTS = {"fct_budget_status": BUDGET_COLUMNS, "fct_cost_anomalies": ANOMALY_COLUMNS}


def manifest_with_marts(session_manifest: Path, into: Path) -> Path:
    """A copy of `session_manifest` that also has the two spend marts, in schema `marts`."""
    manifest = json.loads(session_manifest.read_text())
    database = next(iter(manifest["nodes"].values()))["database"]
    for name in MARTS:
        manifest["nodes"][f"model.ai_chargeback.{name}"] = {
            "resource_type": "model",
            "name": name,
            "database": database,
            "schema": "marts",
            "alias": name,
            "config": {"schema": "marts", "materialized": "table"},
        }
    into.write_text(json.dumps(manifest))
    return into


def budget_row(team: str, status: str, forecast: float, budget: float, **overrides) -> dict:
    row = {
        "charge_month": date(2026, 12, 1),
        "budget_id": f"{team}-all",
        "team": team,
        "workload_phase": "all",
        "provider_name": "all",
        "billing_currency": "USD",
        "budget_amount": budget,
        "month_to_date_cost": round(forecast * 0.05, 2),
        "forecast_cost": forecast,
        "forecast_low": round(forecast * 0.9, 2),
        "forecast_high": round(forecast * 1.1, 2),
        "projected_over_under": round(forecast - budget, 2),
        "status": status,
        "owner_contact": f"{team}-lead@example.com",
        "data_through": date(2026, 12, 1),
    }
    return {**row, **overrides}


def anomaly_row(anomaly_id: str, team: str, impact: float, status: str = "new", **overrides) -> dict:
    row = {
        "anomaly_id": anomaly_id,
        "billing_currency": "USD",
        "team": team,
        "workload_phase": "inference",
        "service_name": "Vertex AI",
        "resource_id": f"endpoints/{anomaly_id}",
        "first_day": date(2026, 11, 29),
        "last_day": date(2026, 12, 1),
        "days": 3,
        "expected_cost": 100.0,
        "actual_cost": 100.0 + impact,
        "impact_cost": impact,
        "status": status,
        "drivers": "sku Online prediction (n1-highmem-8): 91% of the change",
        "data_through": date(2026, 12, 1),
    }
    return {**row, **overrides}


def write_marts(warehouse: DuckDBWarehouse, budgets: list[dict], anomalies: list[dict]) -> None:
    """Replace both marts in the warehouse's working copy with these rows."""
    with warehouse.connection(purpose="a test writing the spend marts") as con:
        con.execute("create schema if not exists marts")
        for name, rows in (("fct_budget_status", budgets), ("fct_cost_anomalies", anomalies)):
            columns = MARTS[name]
            con.execute(
                f"create or replace table marts.{name} ("
                + ", ".join(f"{column} {kind}" for column, kind in columns.items())
                + ")"
            )
            for row in rows:
                con.execute(
                    f"insert into marts.{name} values ({', '.join('?' for _ in columns)})",
                    [row[column] for column in columns],
                )


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it and answers `status`."""

    def __init__(self, status: int = 200):
        self.status = status
        self.messages: list[dict] = []
        self.requests = 0
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.requests += 1
                if received.status == 200:
                    received.messages.append(json.loads(body))
                self.send_response(received.status)
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "alerts") -> str:
        """An Apprise json:// URL that POSTs here."""
        return f"json://127.0.0.1:{self.server.server_address[1]}/{path}"

    def take(self) -> list[dict]:
        """The messages received since the last take."""
        taken, self.messages = self.messages, []
        return taken

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
