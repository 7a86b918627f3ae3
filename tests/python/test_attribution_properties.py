"""Property-based tests of the shared-cost split (int_cost_groups_allocated).

The model is compiled once per module with dbt; each hypothesis example fills its input relations
(int_cost_groups_attributed and the seeds shared_cost_pools, shared_cost_pool_weights, teams)
with random rows in an in-memory DuckDB and runs the compiled SELECT (see sql_harness.py).

Properties:
  (a) money is conserved exactly: per billing account and currency, and per cost group (every
      money column of a group's split rows adds back to the group, to the last decimal), each
      part within 10^-9 of amount x allocation_share;
  (b) one owner per cost: every output row has a team and an allocation_method, and every input
      cost group appears either as exactly one unchanged row or as >= 1 split rows with its
      cost_group_key, one per recipient team; every row keeps the group's line_item_count and
      pass-through columns;
  (c) the shares chain: on split rows share_through - share_before = allocation_share, and per
      group, ordered by share_before, they run from 0 to 1 without gap or overlap (each
      share_before is the previous share_through) - fct_cost_line_items splits each line item
      of the group by them;
  (d) the same input gives the same output (run twice, and on a shuffled copy of the input).
"""

from __future__ import annotations

import datetime
import itertools
import random
import re
from collections import defaultdict
from decimal import Decimal

import pytest
import sql_harness as harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MONEY = harness.COST_GROUP_MONEY_COLUMNS
# Every column the model reads from int_cost_groups_attributed.
COST_GROUP_COLUMNS = [
    ("cost_group_key", "varchar"),
    ("attribution_key", "varchar"),
    ("provider_name", "varchar"),
    ("team", "varchar"),
    ("allocation_method", "varchar"),
    ("unallocated_reason", "varchar"),
    ("billing_account_id", "varchar"),
    ("billing_currency", "varchar"),
    ("invoice_month", "varchar"),
    ("charge_date", "date"),
    ("billing_period_start", "date"),
    ("sub_account_id", "varchar"),
    ("sub_account_name", "varchar"),
    ("service_name", "varchar"),
    ("charge_description", "varchar"),
    ("resource_id", "varchar"),
    ("resource_name", "varchar"),
    ("resource_labels_json", "varchar"),
    ("team_label_value", "varchar"),
    ("workload_phase", "varchar"),
    ("phase_method", "varchar"),
    *[(column, "decimal(38,9)") for column in MONEY],
    ("line_item_count", "bigint"),
]
# Output column <- input column of the group, equal on every row of the group (split or not).
PASS_THROUGH = {
    **{
        column: column
        for column in [
            "attribution_key",
            "provider_name",
            "billing_account_id",
            "sub_account_id",
            "sub_account_name",
            "billing_currency",
            "invoice_month",
            "billing_period_start",
            "charge_date",
            "service_name",
            "charge_description",
            "resource_id",
            "resource_name",
            "team_label_value",
            "workload_phase",
            "phase_method",
            "line_item_count",
        ]
    },
    "tags": "resource_labels_json",
}
POOL_COLUMNS = [
    ("pool_id", "varchar"),
    ("priority", "integer"),
    ("team", "varchar"),
    ("sub_account_pattern", "varchar"),
    ("service_pattern", "varchar"),
    ("sku_pattern", "varchar"),
    ("method", "varchar"),
    ("basis_period", "varchar"),
    ("note", "varchar"),
]
WEIGHT_COLUMNS = [("pool_id", "varchar"), ("team", "varchar"), ("weight", "varchar")]
TEAM_COLUMNS = [
    ("team", "varchar"),
    ("team_name", "varchar"),
    ("cost_center", "varchar"),
    ("owner_email", "varchar"),
    ("description", "varchar"),
]

TEAM_NAMES = ["alpha", "beta", "gamma", "delta"]
# 'ghost' is a team the attribution produced that teams.csv does not list (a stale label).
GROUP_TEAMS = TEAM_NAMES + ["unallocated", "ghost"]
SUB_ACCOUNTS = [None, "net-host-prod", "p1", "P2"]
SERVICES = [None, "Support", "Compute Engine", "Invoice"]
SKUS = [None, "Premium Support Fee", "N2 Core", "Tax"]
# Usage days around a month end; two groups often share a day (and so a 'day' period).
DAYS = ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-01", "2026-02-02"]
NANO = Decimal("0.000000001")


@pytest.fixture(scope="module")
def model_sql() -> str:
    sql = harness.compile_model("int_cost_groups_allocated")
    assert harness.referenced_relations(sql) == {
        ("intermediate", "int_cost_groups_attributed"),
        ("seeds", "shared_cost_pools"),
        ("seeds", "shared_cost_pool_weights"),
        ("seeds", "teams"),
    }, "the model reads other relations now: extend the harness inputs"
    return sql


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

# Exact 9-place amounts, both signs: mostly ordinary, some tiny (a few 10^-9), some zero.
amounts = st.one_of(
    st.integers(min_value=-(10**13), max_value=10**13).map(lambda n: Decimal(n) * NANO),
    st.integers(min_value=-5, max_value=5).map(lambda n: Decimal(n) * NANO),
    st.integers(min_value=-(10**6), max_value=10**6).map(Decimal),
)
maybe_amounts = st.one_of(st.none(), amounts)


@st.composite
def cost_groups(draw):
    count = draw(st.integers(min_value=1, max_value=14))
    rows = []
    for index in range(count):
        team = draw(st.sampled_from(GROUP_TEAMS))
        day = draw(st.sampled_from(DAYS))
        usage_month = day[:7] + "-01"
        billing_period_start = draw(st.sampled_from([usage_month, "2026-01-01", "2026-02-01"]))
        money = {
            column: draw(amounts if column in ("billed_cost", "effective_cost") else maybe_amounts) for column in MONEY
        }
        resource = draw(st.sampled_from([None, "r1"]))
        rows.append(
            {
                "cost_group_key": f"cg{index}",
                "attribution_key": f"ak{index % 5}",
                "provider_name": "Google Cloud",
                "team": team,
                "allocation_method": "unallocated"
                if team == "unallocated"
                else draw(st.sampled_from(["tag:resource_label", "project_map", "sub_account"])),
                "unallocated_reason": "no_team_label" if team == "unallocated" else None,
                "billing_account_id": draw(st.sampled_from(["A", "B"])),
                "billing_currency": draw(st.sampled_from(["USD", "EUR"])),
                "invoice_month": billing_period_start[:7],
                "charge_date": day,
                "billing_period_start": billing_period_start,
                "sub_account_id": draw(st.sampled_from(SUB_ACCOUNTS)),
                "sub_account_name": draw(st.sampled_from([None, "Project One"])),
                "service_name": draw(st.sampled_from(SERVICES)),
                "charge_description": draw(st.sampled_from(SKUS)),
                "resource_id": None if resource is None else f"projects/p1/{resource}",
                "resource_name": resource,
                "resource_labels_json": draw(st.sampled_from([None, "{}", '{"team":"alpha"}'])),
                "team_label_value": draw(st.sampled_from([None, "alpha", "typo"])),
                "workload_phase": draw(st.sampled_from(["training", "unclassified"])),
                "phase_method": draw(st.sampled_from(["tag:resource_label", "unclassified"])),
                **money,
                # A group sums at least one line item; the count is never split (see (b)).
                "line_item_count": draw(
                    st.one_of(st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=2**62))
                ),
            }
        )
    return rows


def exact_fixed_weights(draw, count: int) -> list[Decimal]:
    """count positive 9-place weights summing to exactly 1 (integer parts / total, remainder fixed)."""
    parts = [draw(st.integers(min_value=1, max_value=1000)) for _ in range(count)]
    total = sum(parts)
    weights = [(Decimal(part) / Decimal(total)).quantize(NANO) for part in parts]
    weights[-1] += Decimal(1) - sum(weights)
    assert sum(weights) == 1
    return weights


@st.composite
def allocation_rules(draw):
    teams = draw(st.lists(st.sampled_from(TEAM_NAMES), min_size=1, max_size=4, unique=True))
    pool_count = draw(st.integers(min_value=0, max_value=4))
    priorities = draw(
        st.lists(st.integers(min_value=1, max_value=99), min_size=pool_count, max_size=pool_count, unique=True)
    )
    pools, weights = [], []
    for index, priority in enumerate(priorities):
        pool_id = f"pool{index}"
        method = draw(st.sampled_from(["even", "proportional", "fixed"]))
        pools.append(
            (
                pool_id,
                priority,
                draw(st.sampled_from(["", "", "", "unallocated", "ghost", *TEAM_NAMES])),
                draw(st.sampled_from(["", "", "", "", "net-host-prod", "net-host%", "p%", "%2"])),
                draw(st.sampled_from(["", "", "", "", "support", "SUPPORT", "%engine", "invoice"])),
                draw(st.sampled_from(["", "", "", "", "%core%", "tax", "premium%"])),
                method,
                draw(st.sampled_from(["day", "month"])),
                None,
            )
        )
        # Recipients: listed teams (maybe one teams.csv lacks), or none listed.
        # A fixed pool usually lists weights; one that lists none splits nothing.
        at_least = int(method == "fixed" and draw(st.booleans()))
        listed = draw(st.lists(st.sampled_from(TEAM_NAMES + ["ghost"]), min_size=at_least, max_size=4, unique=True))
        if method == "fixed" and listed:
            for team, weight in zip(listed, exact_fixed_weights(draw, len(listed)), strict=True):
                weights.append((pool_id, team, str(weight)))
        else:
            for team in listed:
                weights.append((pool_id, team, draw(st.sampled_from([None, ""]))))
    return {"teams": teams, "pools": pools, "weights": weights}


# ---------------------------------------------------------------------------------------------
# Running the model
# ---------------------------------------------------------------------------------------------


def run_model(sql: str, groups: list[dict], rules: dict, shuffle_seed: int | None = None):
    groups = list(groups)
    pools, weights, teams = list(rules["pools"]), list(rules["weights"]), list(rules["teams"])
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        for rows in (groups, pools, weights, teams):
            rng.shuffle(rows)
    con = harness.new_connection()
    try:
        harness.create_table(
            con,
            "intermediate",
            "int_cost_groups_attributed",
            COST_GROUP_COLUMNS,
            [[group[name] for name, _ in COST_GROUP_COLUMNS] for group in groups],
        )
        harness.create_table(con, "seeds", "shared_cost_pools", POOL_COLUMNS, pools)
        harness.create_table(con, "seeds", "shared_cost_pool_weights", WEIGHT_COLUMNS, weights)
        harness.create_table(
            con, "seeds", "teams", TEAM_COLUMNS, [(team, team.title(), "CC", None, None) for team in teams]
        )
        names, rows = harness.run_select(con, sql)
    finally:
        con.close()
    return [dict(zip(names, row, strict=True)) for row in rows]


def canonical(rows: list[dict]) -> list[tuple]:
    return sorted((tuple(sorted(row.items(), key=lambda kv: kv[0])) for row in rows), key=repr)


def _as_python(value):
    """An input value as DuckDB returns it: dates as datetime.date (inputs are written as text)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.date.fromisoformat(value)
    return value


def total(values) -> Decimal:
    return sum((value for value in values if value is not None), Decimal(0))


def like(value: str, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def first_pool(group: dict, pools: list[tuple]) -> tuple | None:
    """The pool that takes the cost group per the seed documentation (Python oracle)."""
    for pool in sorted(pools, key=lambda pool: (pool[1], pool[0])):
        _, _, team, sub_pattern, service_pattern, sku_pattern, _, _, _ = pool
        keys = [group["sub_account_id"] or "", group["service_name"] or "", group["charge_description"] or ""]
        patterns = [p.strip().lower() for p in (sub_pattern, service_pattern, sku_pattern)]
        if (team or "").strip() not in ("", group["team"]):
            continue
        if all(p == "" or like(key.lower(), p) for key, p in zip(keys, patterns, strict=True)):
            return pool
    return None


def rows_by_group(out: list[dict]) -> dict[str, list[dict]]:
    by_group = defaultdict(list)
    for row in out:
        by_group[row["cost_group_key"]].append(row)
    return by_group


FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# (a) money conserved
# ---------------------------------------------------------------------------------------------


@FAST
@given(groups=cost_groups(), rules=allocation_rules())
def test_money_is_conserved_exactly(model_sql, groups, rules):
    out = run_model(model_sql, groups, rules)

    # Per billing account and currency, every money column (effective and billed included).
    for column in MONEY:
        sums_in, sums_out = defaultdict(Decimal), defaultdict(Decimal)
        for group in groups:
            sums_in[group["billing_account_id"], group["billing_currency"]] += total([group[column]])
        for row in out:
            sums_out[row["billing_account_id"], row["billing_currency"]] += total([row[column]])
        assert dict(sums_out) == dict(sums_in), column

    # The rows of every cost group add back exactly to the group, for every money column; a
    # null amount stays null in every part.
    by_group = rows_by_group(out)
    for group in groups:
        key = group["cost_group_key"]
        rows = by_group[key]
        assert rows, ("cost group lost", key)
        for column in MONEY:
            parts = [row[column] for row in rows]
            if group[column] is None:
                assert parts == [None] * len(parts), (key, column)
            else:
                assert None not in parts and sum(parts, Decimal(0)) == group[column], (
                    key,
                    column,
                    group[column],
                    parts,
                )
                # Each part is within 10^-9 of amount x share, as the model's YAML documents. Only
                # for |amount| <= ~10^6 (the strategy's range): shares are DECIMAL(38,15), so the
                # error grows as |amount| x 10^-15 (10^7 split in 3 gives 3333333.333333330).
                for row in rows:
                    if row["shared_pool_id"] is not None:
                        expected = float(group[column]) * row["allocation_share"]
                        assert abs(float(row[column]) - expected) <= 1e-9 + 1e-12 * abs(expected), (
                            key,
                            column,
                            row["team"],
                            row[column],
                            expected,
                        )
        shares = [row["allocation_share"] for row in rows if row["shared_pool_id"] is not None]
        if shares:
            assert abs(sum(shares) - 1) < 1e-9


# ---------------------------------------------------------------------------------------------
# (b) exactly one owner per cost
# ---------------------------------------------------------------------------------------------


@FAST
@given(groups=cost_groups(), rules=allocation_rules())
def test_every_cost_has_exactly_one_owner(model_sql, groups, rules):
    out = run_model(model_sql, groups, rules)
    known_teams = set(rules["teams"])

    for row in out:
        assert row["team"] is not None and row["allocation_method"] is not None, row
    # The model's documented grain (unique_combination in _allocation__models.yml).
    pairs = [(row["cost_group_key"], row["team"]) for row in out]
    assert len(set(pairs)) == len(pairs), "duplicate (cost_group_key, team)"
    assert {row["cost_group_key"] for row in out} == {group["cost_group_key"] for group in groups}

    by_group = rows_by_group(out)
    for group in groups:
        rows = by_group[group["cost_group_key"]]
        unsplit = [row for row in rows if row["shared_pool_id"] is None]
        split = [row for row in rows if row["shared_pool_id"] is not None]
        assert (len(unsplit) == 1 and not split) or (split and not unsplit), (group, rows)
        # Every row of the group carries the group's signature, grain and line_item_count: the
        # count is not split, as each line item becomes one row per recipient downstream.
        for row in rows:
            for out_column, in_column in PASS_THROUGH.items():
                assert row[out_column] == _as_python(group[in_column]), (
                    group["cost_group_key"],
                    out_column,
                    row[out_column],
                    group[in_column],
                )
        expected_pool = first_pool(group, rules["pools"])
        if unsplit:
            row = unsplit[0]
            assert (row["team"], row["allocation_method"], row["unallocated_reason"]) == (
                group["team"],
                group["allocation_method"],
                group["unallocated_reason"],
            )
            assert all(row[column] == group[column] for column in MONEY)
            assert (row["allocation_share"], row["share_before"], row["share_through"]) == (None, None, None)
        else:
            assert expected_pool is not None
            teams = [row["team"] for row in split]
            assert set(teams) <= known_teams, "split to a team teams.csv does not list"
            assert {row["shared_pool_id"] for row in split} == {expected_pool[0]}
            for row in split:
                assert row["allocation_method"] == f"shared:{expected_pool[0]}"
                assert row["unallocated_reason"] is None
        # A pool with recipients always takes its rows: even pools always have some (listed
        # known teams, or all teams), fixed pools whenever a listed known team has a weight.
        if expected_pool is not None and expected_pool[6] in ("even", "proportional"):
            listed = {team for pool_id, team, _ in rules["weights"] if pool_id == expected_pool[0]}
            if not listed or listed & known_teams:
                assert split, ("pooled group not split", group, expected_pool)


# ---------------------------------------------------------------------------------------------
# (c) the shares chain from 0 to 1
# ---------------------------------------------------------------------------------------------


@FAST
@given(groups=cost_groups(), rules=allocation_rules())
def test_split_shares_chain_from_zero_to_one(model_sql, groups, rules):
    out = run_model(model_sql, groups, rules)
    for key, rows in rows_by_group(out).items():
        split = [row for row in rows if row["shared_pool_id"] is not None]
        if not split:
            continue
        for row in split:
            assert None not in (row["allocation_share"], row["share_before"], row["share_through"]), row
            width = float(row["share_through"] - row["share_before"])
            assert abs(width - row["allocation_share"]) <= 1e-12, (
                key,
                row["team"],
                row["share_before"],
                row["share_through"],
                row["allocation_share"],
            )
        # fct_cost_line_items gives each line item round(x * share_through) - round(x * share_before)
        # per recipient: the parts add back to the line item only if the shares tile [0, 1]
        # exactly. Ties in share_before (a zero-width share) order by share_through.
        chain = sorted(split, key=lambda row: (row["share_before"], row["share_through"]))
        assert chain[0]["share_before"] == 0, (key, chain)
        assert chain[-1]["share_through"] == 1, (key, chain)
        for previous, row in itertools.pairwise(chain):
            assert row["share_before"] == previous["share_through"], (key, chain)


# ---------------------------------------------------------------------------------------------
# (d) deterministic
# ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=cost_groups(), rules=allocation_rules(), seed=st.integers(0, 2**16))
def test_same_input_same_output(model_sql, groups, rules, seed):
    first = canonical(run_model(model_sql, groups, rules))
    assert canonical(run_model(model_sql, groups, rules)) == first
    assert canonical(run_model(model_sql, groups, rules, shuffle_seed=seed)) == first
