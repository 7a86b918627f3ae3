"""Property-based tests of the shared-cost split (int_cost_line_items_allocated).

The model is compiled once per module with dbt; each hypothesis example fills its input relations
(int_cost_line_items_attributed and the seeds shared_cost_pools, shared_cost_pool_weights, teams)
with random rows in an in-memory DuckDB and runs the compiled SELECT (see sql_harness.py).

Properties:
  (a) money is conserved exactly: per billing account and currency, and per split group (every
      money column of the split rows adds back to its source row, to the last decimal);
  (b) one owner per cost: every output row has a team and an allocation_method, and every input
      line item appears either as exactly one unchanged row or as >= 1 split rows pointing to it;
  (c) the same input gives the same output (run twice, and on a shuffled copy of the input).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sql_harness as harness

MONEY, QUANTITIES = harness.MONEY_COLUMNS, harness.QUANTITY_COLUMNS
LINE_ITEM_COLUMNS = [
    ("line_item_id", "varchar"),
    ("team", "varchar"),
    ("allocation_method", "varchar"),
    ("unallocated_reason", "varchar"),
    ("billing_account_id", "varchar"),
    ("billing_currency", "varchar"),
    ("charge_period_start", "timestamp"),
    ("billing_period_start", "date"),
    ("sub_account_id", "varchar"),
    ("service_name", "varchar"),
    ("charge_description", "varchar"),
    *[(column, "decimal(38,9)") for column in MONEY],
    *[(column, "double") for column in QUANTITIES],
]
POOL_COLUMNS = [
    ("pool_id", "varchar"), ("priority", "integer"), ("team", "varchar"),
    ("sub_account_pattern", "varchar"), ("service_pattern", "varchar"), ("sku_pattern", "varchar"),
    ("method", "varchar"), ("basis_period", "varchar"), ("note", "varchar"),
]
WEIGHT_COLUMNS = [("pool_id", "varchar"), ("team", "varchar"), ("weight", "varchar")]
TEAM_COLUMNS = [
    ("team", "varchar"), ("team_name", "varchar"), ("cost_center", "varchar"),
    ("owner_email", "varchar"), ("description", "varchar"),
]

TEAM_NAMES = ["alpha", "beta", "gamma", "delta"]
# 'ghost' is a team the attribution produced that teams.csv does not list (a stale label).
LINE_ITEM_TEAMS = TEAM_NAMES + ["unallocated", "ghost"]
SUB_ACCOUNTS = [None, "net-host-prod", "p1", "P2"]
SERVICES = [None, "Support", "Compute Engine", "Invoice"]
SKUS = [None, "Premium Support Fee", "N2 Core", "Tax"]
DAYS = ["2026-01-30", "2026-01-31 23:59:59", "2026-02-01", "2026-02-01 12:00:00", "2026-02-02"]
NANO = Decimal("0.000000001")


@pytest.fixture(scope="module")
def model_sql() -> str:
    sql = harness.compile_model("int_cost_line_items_allocated", "intermediate/attribution")
    assert harness.referenced_relations(sql) == {
        ("intermediate", "int_cost_line_items_attributed"),
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
    st.integers(min_value=-10**13, max_value=10**13).map(lambda n: Decimal(n) * NANO),
    st.integers(min_value=-5, max_value=5).map(lambda n: Decimal(n) * NANO),
    st.integers(min_value=-10**6, max_value=10**6).map(Decimal),
)
maybe_amounts = st.one_of(st.none(), amounts)


@st.composite
def line_items(draw):
    count = draw(st.integers(min_value=1, max_value=14))
    rows = []
    for index in range(count):
        team = draw(st.sampled_from(LINE_ITEM_TEAMS))
        day = draw(st.sampled_from(DAYS))
        usage_month = day[:7] + "-01"
        billing_period_start = draw(st.sampled_from([usage_month, "2026-01-01", "2026-02-01"]))
        money = {column: draw(amounts if column in ("billed_cost", "effective_cost") else maybe_amounts)
                 for column in MONEY}
        quantity = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)))
        rows.append({
            "line_item_id": f"li{index}",
            "team": team,
            "allocation_method": "unallocated" if team == "unallocated" else draw(
                st.sampled_from(["tag:resource_label", "project_map", "sub_account"])),
            "unallocated_reason": "no_team_label" if team == "unallocated" else None,
            "billing_account_id": draw(st.sampled_from(["A", "B"])),
            "billing_currency": draw(st.sampled_from(["USD", "EUR"])),
            "charge_period_start": day,
            "billing_period_start": billing_period_start,
            "sub_account_id": draw(st.sampled_from(SUB_ACCOUNTS)),
            "service_name": draw(st.sampled_from(SERVICES)),
            "charge_description": draw(st.sampled_from(SKUS)),
            **money,
            "consumed_quantity": quantity,
            "pricing_quantity": quantity,
        })
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
    priorities = draw(st.lists(st.integers(min_value=1, max_value=99), min_size=pool_count,
                               max_size=pool_count, unique=True))
    pools, weights = [], []
    for index, priority in enumerate(priorities):
        pool_id = f"pool{index}"
        method = draw(st.sampled_from(["even", "proportional", "fixed"]))
        pools.append((
            pool_id,
            priority,
            draw(st.sampled_from(["", "", "", "unallocated", "ghost", *TEAM_NAMES])),
            draw(st.sampled_from(["", "", "", "", "net-host-prod", "net-host%", "p%", "%2"])),
            draw(st.sampled_from(["", "", "", "", "support", "SUPPORT", "%engine", "invoice"])),
            draw(st.sampled_from(["", "", "", "", "%core%", "tax", "premium%"])),
            method,
            draw(st.sampled_from(["day", "month"])),
            None,
        ))
        # Recipients: listed teams (maybe one teams.csv lacks), or none listed.
        # A fixed pool usually lists weights; one that lists none splits nothing.
        at_least = int(method == "fixed" and draw(st.booleans()))
        listed = draw(st.lists(st.sampled_from(TEAM_NAMES + ["ghost"]), min_size=at_least,
                               max_size=4, unique=True))
        if method == "fixed" and listed:
            for team, weight in zip(listed, exact_fixed_weights(draw, len(listed))):
                weights.append((pool_id, team, str(weight)))
        else:
            for team in listed:
                weights.append((pool_id, team, draw(st.sampled_from([None, ""]))))
    return {"teams": teams, "pools": pools, "weights": weights}


# ---------------------------------------------------------------------------------------------
# Running the model
# ---------------------------------------------------------------------------------------------

def run_model(sql: str, items: list[dict], rules: dict, shuffle_seed: int | None = None):
    items = list(items)
    pools, weights, teams = list(rules["pools"]), list(rules["weights"]), list(rules["teams"])
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        for rows in (items, pools, weights, teams):
            rng.shuffle(rows)
    con = harness.new_connection()
    try:
        harness.create_table(
            con, "intermediate", "int_cost_line_items_attributed", LINE_ITEM_COLUMNS,
            [[item[name] for name, _ in LINE_ITEM_COLUMNS] for item in items],
        )
        harness.create_table(con, "seeds", "shared_cost_pools", POOL_COLUMNS, pools)
        harness.create_table(con, "seeds", "shared_cost_pool_weights", WEIGHT_COLUMNS, weights)
        harness.create_table(con, "seeds", "teams", TEAM_COLUMNS,
                             [(team, team.title(), "CC", None, None) for team in teams])
        names, rows = harness.run_select(con, sql)
    finally:
        con.close()
    return [dict(zip(names, row)) for row in rows]


def canonical(rows: list[dict]) -> list[tuple]:
    return sorted((tuple(sorted(row.items(), key=lambda kv: kv[0])) for row in rows), key=repr)


def total(values) -> Decimal:
    return sum((value for value in values if value is not None), Decimal(0))


def like(value: str, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def first_pool(item: dict, pools: list[tuple]) -> tuple | None:
    """The pool that takes the item per the seed documentation (Python oracle)."""
    for pool in sorted(pools, key=lambda pool: (pool[1], pool[0])):
        _, _, team, sub_pattern, service_pattern, sku_pattern, _, _, _ = pool
        keys = [item["sub_account_id"] or "", item["service_name"] or "", item["charge_description"] or ""]
        patterns = [p.strip().lower() for p in (sub_pattern, service_pattern, sku_pattern)]
        if (team or "").strip() not in ("", item["team"]):
            continue
        if all(p == "" or like(key.lower(), p) for key, p in zip(keys, patterns)):
            return pool
    return None


FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# (a) money conserved
# ---------------------------------------------------------------------------------------------

@FAST
@given(items=line_items(), rules=allocation_rules())
def test_money_is_conserved_exactly(model_sql, items, rules):
    out = run_model(model_sql, items, rules)

    # Per billing account and currency, every money column (effective and billed included).
    for column in MONEY:
        sums_in, sums_out = defaultdict(Decimal), defaultdict(Decimal)
        for item in items:
            sums_in[item["billing_account_id"], item["billing_currency"]] += total([item[column]])
        for row in out:
            sums_out[row["billing_account_id"], row["billing_currency"]] += total([row[column]])
        assert dict(sums_out) == dict(sums_in), column

    # Every split group adds back exactly to its source row, for every money column; a null
    # amount stays null in every part.
    by_source = defaultdict(list)
    for row in out:
        by_source[row["source_line_item_id"]].append(row)
    for item in items:
        group = by_source[item["line_item_id"]]
        for column in MONEY:
            parts = [row[column] for row in group]
            if item[column] is None:
                assert parts == [None] * len(parts), (item["line_item_id"], column)
            else:
                assert None not in parts and sum(parts, Decimal(0)) == item[column], (
                    item["line_item_id"], column, item[column], parts)
                # Each part is within 10^-9 of amount x share, as the model's YAML documents. Only
                # for |amount| <= ~10^6 (the strategy's range): shares are DECIMAL(38,15), so the
                # error grows as |amount| x 10^-15 (10^7 split in 3 gives 3333333.333333330).
                for row in group:
                    if row["shared_pool_id"] is not None:
                        expected = float(item[column]) * row["allocation_share"]
                        assert abs(float(row[column]) - expected) <= 1e-9 + 1e-12 * abs(expected)
        shares = [row["allocation_share"] for row in group if row["shared_pool_id"] is not None]
        if shares:
            assert abs(sum(shares) - 1) < 1e-9


# ---------------------------------------------------------------------------------------------
# (b) exactly one owner per cost
# ---------------------------------------------------------------------------------------------

@FAST
@given(items=line_items(), rules=allocation_rules())
def test_every_cost_has_exactly_one_owner(model_sql, items, rules):
    out = run_model(model_sql, items, rules)
    known_teams = set(rules["teams"])

    for row in out:
        assert row["team"] is not None and row["allocation_method"] is not None, row
    assert len({row["line_item_id"] for row in out}) == len(out), "duplicate line_item_id"
    assert {row["source_line_item_id"] for row in out} == {item["line_item_id"] for item in items}

    by_source = defaultdict(list)
    for row in out:
        by_source[row["source_line_item_id"]].append(row)
    for item in items:
        group = by_source[item["line_item_id"]]
        unsplit = [row for row in group if row["shared_pool_id"] is None]
        split = [row for row in group if row["shared_pool_id"] is not None]
        assert (len(unsplit) == 1 and not split) or (split and not unsplit), (item, group)
        expected_pool = first_pool(item, rules["pools"])
        if unsplit:
            row = unsplit[0]
            assert row["line_item_id"] == item["line_item_id"]
            assert (row["team"], row["allocation_method"]) == (item["team"], item["allocation_method"])
            assert all(row[column] == item[column] for column in MONEY)
        else:
            assert expected_pool is not None
            teams = [row["team"] for row in split]
            assert len(set(teams)) == len(teams), "a recipient twice in one split"
            assert set(teams) <= known_teams, "split to a team teams.csv does not list"
            assert {row["shared_pool_id"] for row in split} == {expected_pool[0]}
            for row in split:
                assert row["allocation_method"] == f"shared:{expected_pool[0]}"
                assert row["line_item_id"] == f"{item['line_item_id']}:{row['team']}"
                assert row["unallocated_reason"] is None
        # A pool with recipients always takes its rows: even pools always have some (listed
        # known teams, or all teams), fixed pools whenever a listed known team has a weight.
        if expected_pool is not None and expected_pool[6] in ("even", "proportional"):
            listed = {team for pool_id, team, _ in rules["weights"] if pool_id == expected_pool[0]}
            if not listed or listed & known_teams:
                assert split, ("pooled row not split", item, expected_pool)


# ---------------------------------------------------------------------------------------------
# (c) deterministic
# ---------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=line_items(), rules=allocation_rules(), seed=st.integers(0, 2**16))
def test_same_input_same_output(model_sql, items, rules, seed):
    first = canonical(run_model(model_sql, items, rules))
    assert canonical(run_model(model_sql, items, rules)) == first
    assert canonical(run_model(model_sql, items, rules, shuffle_seed=seed)) == first
