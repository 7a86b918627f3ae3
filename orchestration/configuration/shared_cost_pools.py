"""Shared-cost pools (shared_cost_pools.csv): which costs are shared and how each pool splits
them, and their recipients and weights (shared_cost_pool_weights.csv)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from orchestration.configuration.seeds import Row, Seed, SeedSpec, integer_value
from orchestration.configuration.teams import TEAMS, UNALLOCATED_TEAM

SHARED_COST_POOLS = SeedSpec(
    "shared_cost_pools.csv",
    (
        "pool_id",
        "priority",
        "team",
        "sub_account_pattern",
        "service_pattern",
        "sku_pattern",
        "method",
        "basis_period",
        "note",
    ),
    ("pool_id", "priority", "method", "basis_period"),
    optional_file=True,
    strict=True,
    free_text=("note",),
    # The model trims `team` too, but the seed's relationships test compares it as loaded.
    trimmed=("sub_account_pattern", "service_pattern", "sku_pattern"),
)
SHARED_COST_POOL_WEIGHTS = SeedSpec(
    "shared_cost_pool_weights.csv",
    ("pool_id", "team", "weight"),
    ("pool_id", "team"),
    optional_file=True,
    strict=True,
    trimmed=("weight",),
)

# Split methods of shared-cost pools (only `fixed` takes weights) and their basis periods.
SPLIT_METHODS = ("even", "proportional", "fixed")
BASIS_PERIODS = ("day", "month")
# How far from 1 the fixed weights of a pool may sum (thirds written to ten places): the models
# divide each weight by the pool's total, so the split still adds up exactly.
WEIGHT_TOLERANCE = Decimal("1e-9")
# The models read a weight as money: 9 places, rounded half away from zero (DuckDB's cast to
# DECIMAL(38,9); BigQuery documents the same for NUMERIC). Below half a billionth it is 0 to them.
_SMALLEST_MONEY_WEIGHT = Decimal("0.0000000005")


def check_shared_cost_pools(pools_seed: Seed, weights_seed: Seed, teams: set[str] | None) -> None:
    pools, methods = _check_pools(pools_seed, teams)
    listed = _check_weights(weights_seed, methods, teams)
    for row in pools:
        if row.get("method") == "fixed" and row.get("pool_id") not in listed:
            pools_seed.problem(
                f"pool {row.get('pool_id')!r} splits by fixed weights but lists none in seeds/{weights_seed.spec.file}",
                row,
                "method",
            )


def _check_pools(seed: Seed, teams: set[str] | None) -> tuple[list[Row], dict[str, str]]:
    """Check the pools; return the complete rows and each pool's split method."""
    pools = seed.complete_rows()
    for row in seed.rows:
        seed.integer(row, "priority")
    seed.unique(pools, ("pool_id",))
    seed.unique(pools, ("priority",), integer_value)
    methods: dict[str, str] = {}
    for row in pools:
        # A pool may take the costs of `unallocated` (nobody owns them), or of a known team.
        seed.known(row, "team", None if teams is None else teams | {UNALLOCATED_TEAM}, "team", TEAMS.file)
        method = row.get("method")
        if method not in SPLIT_METHODS:
            seed.problem(f"method {method!r} must be one of: {', '.join(SPLIT_METHODS)}", row, "method")
        period = row.get("basis_period")
        if period not in BASIS_PERIODS:
            seed.problem(f"basis_period {period!r} must be one of: {', '.join(BASIS_PERIODS)}", row, "basis_period")
        methods.setdefault(row.get("pool_id"), method)
    return pools, methods


def _check_weights(seed: Seed, methods: dict[str, str], teams: set[str] | None) -> set[str]:
    """Check the recipients and weights of the pools in `methods`; return the pools that list any."""
    recipients = seed.complete_rows()
    seed.unique(recipients, ("pool_id", "team"))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    last_row: dict[str, Row] = {}
    listed: set[str] = set()
    for row in seed.rows:
        weight = seed.decimal(row, "weight")
        if row not in recipients:
            continue
        pool_id = row.get("pool_id")
        listed.add(pool_id)
        seed.known(row, "team", teams, "team", TEAMS.file)
        if pool_id not in methods:
            seed.problem(f"unknown pool_id {pool_id!r}: not in seeds/{SHARED_COST_POOLS.file}", row, "pool_id")
            continue
        fixed = methods[pool_id] == "fixed"
        if fixed and not row.get("weight"):
            seed.problem(f"pool {pool_id!r} splits by fixed weights: the weight is required", row, "weight")
        elif not fixed and row.get("weight"):
            seed.problem(
                f"pool {pool_id!r} splits by {methods[pool_id]!r}: "
                "leave the weight empty (weights apply to method 'fixed')",
                row,
                "weight",
            )
        if weight is None or not fixed:
            continue
        if weight < _SMALLEST_MONEY_WEIGHT:
            seed.problem(_not_positive(weight, row.get("weight")), row, "weight")
        totals[pool_id] += weight
        last_row[pool_id] = row
    for pool_id, total in totals.items():
        if abs(total - 1) > WEIGHT_TOLERANCE:
            seed.problem(
                f"weights of pool {pool_id!r} sum to {total}, not 1 (reported on its last row)",
                last_row[pool_id],
                "weight",
            )
    return listed


def _not_positive(weight: Decimal, written: str) -> str:
    if weight < 0:
        what = "is negative"
    elif weight == 0:
        what = "is zero"
    else:
        what = "rounds to 0 at the 9 decimal places money has in the models"
    return (
        f"weight {written} {what}: a fixed weight must be positive (to give a team nothing, leave it out of the pool)"
    )
