"""Workload phases (workload_phases.csv), the spellings of phase label values
(workload_phase_aliases.csv) and the rules that set a phase where no label does
(workload_phase_rules.csv)."""

from __future__ import annotations

from orchestration.configuration.normalisation import normalize_phase_value
from orchestration.configuration.seeds import Seed, SeedSpec, integer_value

WORKLOAD_PHASES = SeedSpec(
    "workload_phases.csv", ("workload_phase", "description", "is_ai"), ("workload_phase",), free_text=("description",)
)
WORKLOAD_PHASE_ALIASES = SeedSpec(
    "workload_phase_aliases.csv", ("alias", "workload_phase"), ("alias", "workload_phase"), trimmed=("alias",)
)
WORKLOAD_PHASE_RULES = SeedSpec(
    "workload_phase_rules.csv",
    ("rule_id", "priority", "service_pattern", "sku_pattern", "resource_pattern", "workload_phase", "note"),
    ("rule_id", "priority", "workload_phase"),
    strict=True,
    free_text=("note",),
)


def check_phases(seed: Seed) -> set[str]:
    """Check the phase list; return its phase keys."""
    rows = seed.complete_rows()
    seed.unique(rows, ("workload_phase",))
    for row in seed.rows:
        seed.boolean(row, "is_ai")
    return {row.get("workload_phase") for row in rows}


def check_phase_aliases(seed: Seed, phases: set[str] | None) -> None:
    rows = seed.complete_rows()
    for row in rows:
        seed.known(row, "workload_phase", phases, "workload phase", WORKLOAD_PHASES.file)
    seed.unique(rows, ("alias",), normalize_phase_value)


def check_phase_rules(seed: Seed, phases: set[str] | None) -> None:
    rows = seed.complete_rows()
    for row in seed.rows:
        seed.integer(row, "priority")
    for row in rows:
        seed.known(row, "workload_phase", phases, "workload phase", WORKLOAD_PHASES.file)
    seed.unique(rows, ("rule_id",))
    # First match wins: two rules with one priority would be tried in an arbitrary order.
    seed.unique(rows, ("priority",), integer_value)
