"""The ledger of alerts sent: one row per event delivered to one target, appended, never updated.

`alert_deliveries` sits beside `check_results` (DuckDB: `quality.alert_deliveries`; BigQuery:
`<dataset>_quality.alert_deliveries`), written through the warehouse resource like the check
results. A row is appended only once a target accepted the message, so a failed delivery is
tried again by the next run; an event with a row for a target is never sent to it again.
Targets are named by a hash of their URL (URLs carry tokens; the ledger is readable by analysts).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from orchestration.alerts.events import AlertEvent
from orchestration.quality.gx_checks import results_relation
from orchestration.resources import Warehouse
from orchestration.transform.project import Relation

LEDGER_TABLE = "alert_deliveries"

LEDGER_COLUMNS: dict[str, str] = {
    "event_key": "The event's identity, e.g. budget|2026-12-01|ml-platform|all|all|USD|over or anomaly|<id>.",
    "target_id": "sha256 of the target's Apprise URL, first 16 hex digits (the URL itself holds secrets).",
    "target_service": "The URL's scheme (slack, msteams, mailto, json, ...).",
    "event_kind": "budget or anomaly.",
    "team": "The team the event is about.",
    "status": "The budget's status (at_risk, over) or the anomaly's (new, ongoing) when sent.",
    "amount": "Forecast month-end cost (budget) or impact (anomaly).",
    "billing_currency": "Currency of amount.",
    "title": "The message's title.",
    "run_id": "Dagster run that sent it.",
    "warehouse": "duckdb or bigquery.",
    "sent_at": "When the target accepted it (UTC).",
}


def ledger_relation(warehouse: Warehouse) -> Relation:
    """`alert_deliveries`, in the schema (dataset) of check_results."""
    results = results_relation(warehouse)
    return Relation(results.database, results.schema, LEDGER_TABLE)


def delivered(warehouse: Warehouse) -> set[tuple[str, str]]:
    """(event_key, target_id) of every delivery recorded."""
    ledger = ledger_relation(warehouse)
    if not warehouse.exists(ledger):
        return set()
    rows = warehouse.query(f"select distinct event_key, target_id from {warehouse.quoted(ledger)}")
    return set(zip(rows["event_key"], rows["target_id"], strict=True))


def record(
    warehouse: Warehouse,
    event: AlertEvent,
    targets: list[tuple[str, str]],
    run_id: str,
    sent_at: datetime | None = None,
) -> None:
    """Append one row per (target_id, target_service) that accepted `event`."""
    if not targets:
        return
    sent_at = sent_at or datetime.now(UTC)
    frame = pd.DataFrame(
        [
            {
                "event_key": event.key,
                "target_id": target_id,
                "target_service": service,
                "event_kind": event.kind,
                "team": event.team,
                "status": event.status,
                "amount": event.amount,
                "billing_currency": event.currency,
                "title": event.title,
                "run_id": run_id,
                "warehouse": warehouse.name,
                "sent_at": sent_at,
            }
            for target_id, service in targets
        ],
        columns=list(LEDGER_COLUMNS),
    )
    # Explicit types, which both warehouses create the table from.
    frame["amount"] = frame["amount"].astype("Float64")
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    warehouse.append(ledger_relation(warehouse), frame)
