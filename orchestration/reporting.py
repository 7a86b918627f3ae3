"""What `chargeback report` and the demo print: read-only queries on the marts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

MARTS = "marts"
CENT_HALF = Decimal("0.005")


@dataclass(frozen=True)
class Accuracy:
    """Effective cost attributed to the team and phase the generator's ground truth names
    (all months and currencies, at face value)."""

    matched_line_items: int
    unmatched_line_items: int
    attributable_cost: Decimal
    correct_cost: Decimal
    unallocated_cost: Decimal
    wrong_cost: Decimal
    shared_cost: Decimal
    total_cost: Decimal
    correct_phase_cost: Decimal
    unclassified_phase_cost: Decimal

    @property
    def correct_share(self) -> float:
        return float(self.correct_cost / self.attributable_cost) if self.attributable_cost else 0.0

    @property
    def correct_phase_share(self) -> float:
        return float(self.correct_phase_cost / self.total_cost) if self.total_cost else 0.0


def last_complete_invoice_month(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest invoice month whose whole calendar month of usage is in the warehouse."""
    row = con.execute(
        f"""
        select max(invoice_month) from {MARTS}.fct_cost_line_items
        where billing_period_start + interval 1 month
              <= (select max(cast(charge_period_end as date)) from {MARTS}.fct_cost_line_items)
        """
    ).fetchone()
    return row[0] if row else None


def chargeback_by_team_and_phase(con: duckdb.DuckDBPyConnection, invoice_month: str) -> list[tuple]:
    return con.execute(
        f"""
        select billing_currency, team, workload_phase, sum(direct_cost), sum(shared_cost), sum(effective_cost)
        from {MARTS}.fct_chargeback_monthly
        where invoice_month = ?
        group by all
        order by billing_currency, sum(effective_cost) desc, team, workload_phase
        """,
        [invoice_month],
    ).fetchall()


def tag_coverage(con: duckdb.DuckDBPyConnection, invoice_month: str) -> list[tuple]:
    """Per currency: effective cost, and the shares attributed by tags, by rules, split from
    shared-cost pools, and unallocated."""
    return con.execute(
        f"""
        select billing_currency,
               sum(effective_cost),
               sum(case when allocation_method like 'tag:%' then effective_cost else 0 end) / sum(effective_cost),
               sum(case when allocation_method like 'rule:%' then effective_cost else 0 end) / sum(effective_cost),
               sum(case when allocation_method like 'shared:%' then effective_cost else 0 end) / sum(effective_cost),
               sum(case when allocation_method = 'unallocated' then effective_cost else 0 end) / sum(effective_cost)
        from {MARTS}.fct_cost_line_items
        where invoice_month = ?
        group by all
        order by 1
        """,
        [invoice_month],
    ).fetchall()


def unallocated_reasons(con: duckdb.DuckDBPyConnection, invoice_month: str, limit: int = 8) -> list[tuple]:
    return con.execute(
        f"""
        select billing_currency, unallocated_reason, coalesce(team_label_value, '') as label_value, sum(effective_cost)
        from {MARTS}.fct_cost_line_items
        where invoice_month = ? and team = 'unallocated'
        group by all
        order by sum(effective_cost) desc
        limit {int(limit)}
        """,
        [invoice_month],
    ).fetchall()


def attribution_accuracy(con: duckdb.DuckDBPyConnection, ground_truth_dir: Path) -> Accuracy:
    """Compare each line item's team with the ground truth written by the generator.

    Cost whose true owner is `shared` (support, account-level networking) belongs to no one
    team, so it is reported apart and left out of the team share (the shared-cost pools split it).
    """
    pattern = str(ground_truth_dir / "*.parquet")
    row = con.execute(
        f"""
        with truth as (select line_item_id, true_team, true_phase from read_parquet(?)),
        joined as (
            select items.effective_cost, items.team, items.workload_phase, truth.true_team, truth.true_phase
            from {MARTS}.fct_cost_line_items as items
            -- shares split from a pooled line item all answer to the source's truth
            left join truth on truth.line_item_id = items.source_line_item_id
        )
        select
            count(true_team),
            count(*) - count(true_team),
            coalesce(sum(effective_cost) filter (where true_team <> 'shared'), 0),
            coalesce(sum(effective_cost) filter (where true_team <> 'shared' and team = true_team), 0),
            coalesce(sum(effective_cost) filter (where true_team <> 'shared' and team = 'unallocated'), 0),
            coalesce(sum(effective_cost) filter (
                where true_team <> 'shared' and team not in (true_team, 'unallocated')), 0),
            coalesce(sum(effective_cost) filter (where true_team = 'shared'), 0),
            coalesce(sum(effective_cost) filter (where true_team is not null), 0),
            coalesce(sum(effective_cost) filter (where workload_phase = true_phase), 0),
            coalesce(sum(effective_cost) filter (where true_phase is not null and workload_phase = 'unclassified'), 0)
        from joined
        """,
        [pattern],
    ).fetchone()
    return Accuracy(*row)


def _money(value) -> str:
    return f"{Decimal(value):>16,.2f}"


def render_report(con: duckdb.DuckDBPyConnection, ground_truth_dir: Path | None = None) -> str:
    """The chargeback of the last complete invoice month, tag coverage, and (on generated data) accuracy."""
    lines: list[str] = []
    month = last_complete_invoice_month(con)
    if month is None:
        return "No complete invoice month in the warehouse yet."
    lines.append(f"Chargeback for invoice month {month} (effective cost, by team and workload phase)")
    lines.append(f"{'currency':<9}{'team':<22}{'phase':<18}{'direct':>16}{'shared':>16}{'total':>16}")
    for currency, team, phase, direct, shared, total in chargeback_by_team_and_phase(con, month):
        if abs(direct) < CENT_HALF and abs(shared) < CENT_HALF:
            continue  # e.g. a team's share of a pool that is a fraction of a cent
        lines.append(f"{currency:<9}{team:<22}{phase:<18}{_money(direct)}{_money(shared)}{_money(total)}")
    lines.append("")
    lines.append(f"Tag coverage, {month} (share of effective cost)")
    for currency, total, by_tags, by_rules, shared, unallocated in tag_coverage(con, month):
        lines.append(
            f"  {currency}: {_money(total).strip()} in all; by tags {by_tags:.2%}, by rules {by_rules:.2%}, "
            f"shared pools {shared:.2%}, unallocated {unallocated:.2%}"
        )
    reasons = unallocated_reasons(con, month)
    if reasons:
        lines.append("  Largest unallocated costs (reason, label value seen):")
        for currency, reason, value, cost in reasons:
            lines.append(f"    {currency} {_money(cost).strip():>14}  {reason:<20} {value!r}")
    if ground_truth_dir is not None and ground_truth_dir.exists():
        accuracy = attribution_accuracy(con, ground_truth_dir)
        lines.append("")
        lines.append("Attribution against the generator's ground truth (all months)")
        lines.append(
            f"  correct team: {accuracy.correct_share:.2%} of attributable effective cost "
            f"({_money(accuracy.correct_cost).strip()} of {_money(accuracy.attributable_cost).strip()}); "
            f"unallocated {_money(accuracy.unallocated_cost).strip()}, "
            f"wrong team {_money(accuracy.wrong_cost).strip()}; "
            f"shared (no single owner) {_money(accuracy.shared_cost).strip()}"
        )
        lines.append(
            f"  correct workload phase: {accuracy.correct_phase_share:.2%} of effective cost; "
            f"unclassified {_money(accuracy.unclassified_phase_cost).strip()}"
        )
        if accuracy.unmatched_line_items:
            lines.append(f"  WARNING: {accuracy.unmatched_line_items} line items have no ground-truth row")
    if _has_table(con, "marts", "fct_cost_anomalies"):
        from orchestration.spend.anomaly_scoring import render_anomalies

        lines.append("")
        lines.append(render_anomalies(con, ground_truth_dir))
    return "\n".join(lines)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    )
