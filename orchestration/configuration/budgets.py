"""Budgets (budgets.csv): a monthly amount per team, optionally per workload phase and provider,
in one billing currency, over a range of months; fct_budget_status judges the spend against them."""

from __future__ import annotations

import re
from collections import defaultdict

from orchestration.configuration.phases import WORKLOAD_PHASES
from orchestration.configuration.seeds import Row, Seed, SeedSpec
from orchestration.configuration.service_categories import SERVICE_CATEGORIES
from orchestration.configuration.teams import TEAMS
from orchestration.spend import ALL

BUDGETS = SeedSpec(
    "budgets.csv",
    (
        "budget_id",
        "team",
        "workload_phase",
        "provider_name",
        "billing_currency",
        "monthly_amount",
        "valid_from_month",
        "valid_to_month",
        "owner_contact",
        "note",
    ),
    ("budget_id", "team", "billing_currency", "monthly_amount", "valid_from_month"),
    optional_file=True,
    strict=True,
    free_text=("note",),
    trimmed=("monthly_amount",),
)

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# An email address, or an Apprise URL (slack://..., mailto://..., json://...)
_CONTACT = re.compile(r"^([^@\s]+@[^@\s]+\.[^@\s]+|[a-z][a-z0-9+.-]*://\S+)$")
# Open-ended budgets run to the end of time, as far as overlaps go.
_NO_END = (9999, 12)


def check_budgets(seed: Seed, teams: set[str] | None, phases: set[str] | None, providers: set[str] | None) -> None:
    rows = seed.complete_rows()
    seed.unique(rows, ("budget_id",))
    ranges: dict[tuple[str, ...], list[tuple[tuple[int, int], tuple[int, int], Row]]] = defaultdict(list)
    for row in rows:
        seed.known(row, "team", teams, "team", TEAMS.file)
        seed.known(row, "workload_phase", phases, "workload phase", WORKLOAD_PHASES.file)
        if row.get("workload_phase") == ALL or row.get("provider_name") == ALL:
            column = "workload_phase" if row.get("workload_phase") == ALL else "provider_name"
            seed.problem(f"leave {column} empty for every one ({ALL!r} is what the marts write for it)", row, column)
        seed.known(row, "provider_name", providers, "provider", SERVICE_CATEGORIES.file)
        if not _CURRENCY.match(row.get("billing_currency")):
            seed.problem(
                f"billing_currency {row.get('billing_currency')!r} is not an ISO 4217 code (three capital letters)",
                row,
                "billing_currency",
            )
        amount = seed.decimal(row, "monthly_amount")
        if amount is not None and amount < 0:
            seed.problem(f"monthly_amount {row.get('monthly_amount')!r} is negative", row, "monthly_amount")
        contact = row.get("owner_contact")
        if contact and not _CONTACT.match(contact):
            seed.problem(
                f"owner_contact {contact!r} is neither an email address nor a URL (an Apprise target)",
                row,
                "owner_contact",
            )
        start = _month(seed, row, "valid_from_month")
        end = _month(seed, row, "valid_to_month") if row.get("valid_to_month") else _NO_END
        if start is None or end is None:
            continue
        if end < start:
            seed.problem(
                f"valid_to_month {row.get('valid_to_month')!r} is before valid_from_month "
                f"{row.get('valid_from_month')!r}",
                row,
                "valid_to_month",
            )
            continue
        spend = tuple(row.get(name) for name in ("team", "workload_phase", "provider_name", "billing_currency"))
        for other_start, other_end, other in ranges[spend]:
            if start <= other_end and other_start <= end:
                seed.problem(
                    f"budget {row.get('budget_id')!r} overlaps budget {other.get('budget_id')!r} (row {other.number}): "
                    "the same team, phase, provider and currency in the same month",
                    row,
                    "valid_from_month",
                )
        ranges[spend].append((start, end, row))


def _month(seed: Seed, row: Row, column: str) -> tuple[int, int] | None:
    match = _MONTH.match(row.get(column))
    if match is None:
        seed.problem(f"{row.get(column)!r} is not a month (expected YYYY-MM)", row, column)
        return None
    return int(match.group(1)), int(match.group(2))
