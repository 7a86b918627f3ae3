"""FOCUS service categories per provider service (service_categories.csv)."""

from __future__ import annotations

from orchestration.configuration.seeds import Seed, SeedSpec

SERVICE_CATEGORIES = SeedSpec(
    "service_categories.csv",
    ("provider_name", "service_name", "service_category", "service_subcategory"),
    ("provider_name", "service_name", "service_category"),
)


def check_service_categories(seed: Seed) -> None:
    rows = seed.complete_rows()
    seed.unique(rows, ("provider_name", "service_name"))


def provider_names(seed: Seed) -> set[str]:
    """The providers the bill can name (each has its services listed here)."""
    return {row.get("provider_name") for row in seed.rows if row.get("provider_name")}
