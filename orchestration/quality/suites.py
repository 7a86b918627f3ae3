"""The four checks: query figures from the warehouse, judge them with a Great Expectations suite.

GX 1.x, its documented path only: context → pandas data source → dataframe asset → whole-frame
batch definition → ExpectationSuite of gx.expectations.Expect* → ValidationDefinition →
Checkpoint, run with the queried DataFrame as the batch parameter. GX decides pass or fail;
the same DataFrame gives the figures people need to act (worst days, top offenders).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from orchestration.quality import sql
from orchestration.quality.results import CheckOutcome
from orchestration.quality.sql import Dialect, Relation

# Check names, as Dagster and the results table show them.
EXPORT_SCHEMA = "gx_export_schema"
MONEY_CONSERVED_BEFORE_MARTS = "gx_money_conserved_before_marts"
MONEY_CONSERVED = "gx_money_conserved"
TAG_COVERAGE = "gx_tag_coverage"
UNALLOCATED_GROWTH = "gx_unallocated_growth"

DATA_SOURCE = "chargeback_warehouse"


@dataclass(frozen=True)
class Thresholds:
    tag_coverage_min: float = 0.90
    attributed_coverage_min: float = 0.98
    unallocated_share_max_increase: float = 0.05
    conservation_tolerance: float = 0.01
    # A day with fewer line items than this is too small to judge coverage on (tiny test data,
    # the first hours of a month): it is listed, not judged.
    coverage_min_line_items: int = 200


@dataclass(frozen=True)
class Relations:
    """Where the checks read, resolved for one warehouse."""

    export: Relation
    cost_groups: Relation  # int_cost_groups: the last model before the marts
    line_items: Relation
    monthly: Relation
    coverage: Relation


Query = Callable[[str], pd.DataFrame]


class GxValidator:
    """One GX data context; each check is a suite validated through a checkpoint.

    With `project_dir` the context is a file context there: suites, validation results and
    Data Docs persist (`chargeback quality docs` renders them). Without it, ephemeral."""

    def __init__(self, project_dir: Path | None):
        import great_expectations as gx

        # GX prints a progress bar per metric; in Dagster logs and the CLI that is only noise.
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.gx = gx
        if project_dir is not None:
            project_dir.mkdir(parents=True, exist_ok=True)
            self.context = gx.get_context(mode="file", project_root_dir=str(project_dir))
        else:
            self.context = gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.source = self.context.data_sources.add_or_update_pandas(name=DATA_SOURCE)

    def validate(self, name: str, frame: pd.DataFrame, expectations: list) -> tuple[bool, list[dict[str, Any]]]:
        """Validate `frame` against a suite of `expectations`; (success, one dict per expectation)."""
        gx = self.gx
        try:
            asset = self.source.get_asset(name)
        except LookupError:
            asset = self.source.add_dataframe_asset(name=name)
        try:
            batch_definition = asset.get_batch_definition("whole_table")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
        suite = self.context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
        validation = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[validation], actions=[], result_format="SUMMARY")
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        expectations_out = []
        for run in result.run_results.values():
            for item in run.results:
                config = item.expectation_config
                found = item.result or {}
                expectations_out.append(
                    {
                        "expectation": config.type,
                        "kwargs": {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                        "success": bool(item.success),
                        "unexpected_count": found.get("unexpected_count"),
                        "observed_value": found.get("observed_value"),
                        "partial_unexpected_list": (found.get("partial_unexpected_list") or [])[:10],
                    }
                )
        return bool(result.success), expectations_out

    def build_data_docs(self) -> str | None:
        sites = self.context.build_data_docs()
        return next(iter(sites.values()), None)


def _floats(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # Money arrives as Decimal objects; GX compares numbers, so make them floats for judging
    # (the figures shown are rounded to cents anyway).
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].astype("object"), errors="coerce").astype("float64")
    return frame


def _records(frame: pd.DataFrame, limit: int = 10) -> list[dict[str, Any]]:
    out = []
    for row in frame.head(limit).to_dict(orient="records"):
        out.append({k: (round(v, 6) if isinstance(v, float) else (str(v) if not isinstance(v, (int, str, bool, type(None))) else v)) for k, v in row.items()})
    return out


# --------------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------------
def check_tag_coverage(validator: GxValidator, query: Query, dialect: Dialect, relations: Relations,
                       thresholds: Thresholds, severity: str) -> CheckOutcome:
    """Per provider and usage day, of the effective cost teams own directly (all but the shares
    of shared-cost pools): ≥ tag_coverage_min attributed by tags (`tag:*`), and
    ≥ attributed_coverage_min by tags and rules (`tag:*`, `rule:*`: virtual-tag rules and the
    folder mapping); the rest is `unallocated`."""
    gx = validator.gx
    daily = _floats(query(sql.tag_coverage_sql(dialect, relations.coverage)),
                    ["effective_cost", "tag_attributed_cost", "rule_attributed_cost", "shared_allocated_cost",
                     "unallocated_cost"])
    daily["line_item_count"] = pd.to_numeric(daily["line_item_count"]).astype("int64")
    # The base is the cost a team owns directly: shares of shared-cost pools (support, tax on it,
    # networking) carry no team tag by nature and are split by declared policy, so they are
    # left out of both numerator and denominator rather than counted as missing tags.
    daily["direct_cost"] = daily["effective_cost"] - daily["shared_allocated_cost"]
    positive = daily["direct_cost"] > 0
    daily["tag_coverage"] = (daily["tag_attributed_cost"] / daily["direct_cost"]).where(positive)
    daily["attributed_coverage"] = (
        (daily["tag_attributed_cost"] + daily["rule_attributed_cost"]) / daily["direct_cost"]).where(positive)
    judged = daily[daily["line_item_count"] >= thresholds.coverage_min_line_items].reset_index(drop=True)
    success, expectations = validator.validate(
        TAG_COVERAGE,
        judged[["provider_name", "charge_date", "tag_coverage", "attributed_coverage", "line_item_count"]],
        [
            gx.expectations.ExpectColumnValuesToBeBetween(column="tag_coverage", min_value=thresholds.tag_coverage_min),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="attributed_coverage", min_value=thresholds.attributed_coverage_min
            ),
        ],
    )
    below = judged[
        (judged["tag_coverage"] < thresholds.tag_coverage_min)
        | (judged["attributed_coverage"] < thresholds.attributed_coverage_min)
    ].sort_values("tag_coverage")
    total = daily["direct_cost"].sum()
    overall_tag = float(daily["tag_attributed_cost"].sum() / total) if total > 0 else None
    overall_attributed = (float((daily["tag_attributed_cost"].sum() + daily["rule_attributed_cost"].sum()) / total)
                          if total > 0 else None)
    worst = float(judged["tag_coverage"].min()) if judged["tag_coverage"].notna().any() else None
    worst_attributed = float(judged["attributed_coverage"].min()) if judged["attributed_coverage"].notna().any() else None
    offenders = query(sql.unattributed_offenders_sql(dialect, relations.line_items))
    offenders = _floats(offenders, ["untagged_cost", "unallocated_cost"])
    if judged.empty:
        summary = f"no provider-day has {thresholds.coverage_min_line_items}+ line items: nothing to judge"
    elif success:
        summary = (f"tag coverage ≥ {thresholds.tag_coverage_min:.0%} and tags+rules ≥ "
                   f"{thresholds.attributed_coverage_min:.0%} on all {len(judged)} provider-days "
                   f"(lowest {worst:.1%}, overall {overall_tag:.1%})")
    else:
        summary = (f"{len(below)} of {len(judged)} provider-days below target: lowest tag coverage {worst:.1%} "
                   f"(target {thresholds.tag_coverage_min:.0%}), lowest tags+rules {worst_attributed:.1%} "
                   f"(target {thresholds.attributed_coverage_min:.0%})")
    return CheckOutcome(
        check_name=TAG_COVERAGE, asset_key=relations.coverage.name, severity=severity, passed=success,
        observed_value=worst, threshold=thresholds.tag_coverage_min, summary=summary,
        details={
            "overall_tag_coverage": overall_tag,
            "overall_attributed_coverage": overall_attributed,
            "lowest_tag_coverage": worst,
            "lowest_attributed_coverage": worst_attributed,
            "attributed_coverage_min": thresholds.attributed_coverage_min,
            "days_judged": len(judged),
            "days_too_small_to_judge": int(len(daily) - len(judged)),
            "days_below_target": int(len(below)),
            "worst_days": _records(below[["provider_name", "charge_date", "tag_coverage", "attributed_coverage",
                                          "direct_cost"]]),
            "top_offenders": _records(offenders),
            "expectations": expectations,
        },
    )


def check_unallocated_growth(validator: GxValidator, query: Query, dialect: Dialect, relations: Relations,
                             thresholds: Thresholds, severity: str) -> CheckOutcome:
    """The unallocated share of each provider's daily effective cost rises by at most
    unallocated_share_max_increase (in share points) from one day to the next."""
    gx = validator.gx
    daily = _floats(query(sql.unallocated_growth_sql(dialect, relations.coverage)),
                    ["effective_cost", "unallocated_cost", "unallocated_share", "previous_unallocated_share"])
    daily["unallocated_share_increase"] = daily["unallocated_share"] - daily["previous_unallocated_share"]
    success, expectations = validator.validate(
        UNALLOCATED_GROWTH,
        daily[["provider_name", "charge_date", "unallocated_share", "unallocated_share_increase"]],
        [gx.expectations.ExpectColumnValuesToBeBetween(
            column="unallocated_share_increase", max_value=thresholds.unallocated_share_max_increase)],
    )
    rises = daily[daily["unallocated_share_increase"] > thresholds.unallocated_share_max_increase]
    largest = daily["unallocated_share_increase"].max()
    largest = float(largest) if pd.notna(largest) else None
    summary = (
        f"largest day-over-day rise of the unallocated share: {largest or 0:.1%} "
        f"(limit {thresholds.unallocated_share_max_increase:.0%})"
        + ("" if success else f"; {len(rises)} day(s) above the limit")
    )
    return CheckOutcome(
        check_name=UNALLOCATED_GROWTH, asset_key=relations.coverage.name, severity=severity, passed=success,
        observed_value=largest, threshold=thresholds.unallocated_share_max_increase, summary=summary,
        details={
            "days": len(daily),
            "days_above_limit": _records(rises.sort_values("unallocated_share_increase", ascending=False)[
                ["provider_name", "charge_date", "unallocated_share", "unallocated_share_increase", "unallocated_cost"]]),
            "expectations": expectations,
        },
    )


def check_money_conserved(validator: GxValidator, query: Query, dialect: Dialect, relations: Relations,
                          thresholds: Thresholds, severity: str, *, before_marts: bool) -> CheckOutcome:
    """Per billing account, invoice month and currency: Σ(cost + credits) in the raw export =
    Σ billed_cost of the target(s) within the tolerance, and no group on one side only.

    Before the marts the target is int_cost_groups (the gate: a failure stops the
    marts from being rebuilt); after them fct_cost_line_items and fct_chargeback_monthly."""
    gx = validator.gx
    if before_marts:
        targets = {"cost_groups": (relations.cost_groups, "provider_name = 'Google Cloud'")}
        name, asset = MONEY_CONSERVED_BEFORE_MARTS, relations.cost_groups.name
    else:
        targets = {
            "line_items": (relations.line_items, "source_system = 'gcp_billing_export'"),
            "monthly": (relations.monthly, "provider_name = 'Google Cloud'"),
        }
        name, asset = MONEY_CONSERVED, relations.monthly.name
    cost_columns = ["source_cost", *(f"{target}_cost" for target in targets)]
    groups = _floats(query(sql.conservation_sql(dialect, relations.export, targets)), cost_columns)
    expectations = [gx.expectations.ExpectTableRowCountToBeBetween(min_value=1)]
    for target in targets:
        groups[f"{target}_difference"] = groups[f"{target}_cost"] - groups["source_cost"]
        expectations += [
            gx.expectations.ExpectColumnValuesToNotBeNull(column=f"{target}_cost"),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=f"{target}_difference", min_value=-thresholds.conservation_tolerance,
                max_value=thresholds.conservation_tolerance),
        ]
    expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column="source_cost"))
    success, results = validator.validate(name, groups, expectations)
    differences = groups[[f"{t}_difference" for t in targets]].abs()
    worst = float(differences.max().max()) if not groups.empty else None
    missing = groups[groups[cost_columns].isna().any(axis=1)]
    off = groups[(differences > thresholds.conservation_tolerance).any(axis=1) | groups[cost_columns].isna().any(axis=1)]
    side = " and ".join(relation.name for relation, _ in targets.values())
    if groups.empty:
        summary = f"no billing account, invoice month and currency in the export or {side}"
    elif success:
        summary = (f"{len(groups)} billing account × month × currency groups conserved between the export and "
                   f"{side} (largest difference {worst:.6f})")
    else:
        summary = (f"money NOT conserved between the export and {side}: {len(off)} of {len(groups)} groups differ "
                   f"by more than {thresholds.conservation_tolerance}"
                   + (f" ({len(missing)} on one side only)" if len(missing) else "")
                   + (f"; largest difference {worst:,.2f}" if worst is not None and worst == worst else ""))
    return CheckOutcome(
        check_name=name, asset_key=asset, severity=severity, passed=success,
        observed_value=worst, threshold=thresholds.conservation_tolerance, summary=summary,
        details={"groups": len(groups), "groups_differing": _records(off, 20), "expectations": results},
    )


def check_export_schema(validator: GxValidator, query: Query, dialect: Dialect, relations: Relations,
                        thresholds: Thresholds, severity: str) -> CheckOutcome:
    """The raw export has every required field with the right kind of type, and no row lacks a
    required value. Unknown extra columns are fine (schema drift is normal) and only listed."""
    gx = validator.gx
    columns = query(dialect.columns_query(relations.export))
    actual = {str(r.column_name): dialect.column_kind(str(r.data_type)) for r in columns.itertuples()}
    present = set(actual)
    counts = query(sql.required_fields_sql(dialect, relations.export, present)) if present else pd.DataFrame()
    total = int(counts["total_rows"].iloc[0]) if not counts.empty else 0
    fields = []
    for field, kind in (*sql.REQUIRED_FIELDS, *sql.TYPED_FIELDS):
        column = field.split(".")[0]
        nulls_column = field.replace(".", "__") + "__nulls"
        required = (field, kind) in sql.REQUIRED_FIELDS
        fields.append({
            "field": field,
            "expected_type": kind,
            "actual_type": actual.get(column),
            "rows_without_value": (int(counts[nulls_column].iloc[0]) if nulls_column in counts else (total if column not in present else 0)) if required else 0,
        })
    frame = pd.DataFrame(fields)
    success, results = validator.validate(
        EXPORT_SCHEMA, frame,
        [
            gx.expectations.ExpectColumnValuesToNotBeNull(column="actual_type"),
            gx.expectations.ExpectColumnPairValuesToBeEqual(column_A="expected_type", column_B="actual_type"),
            gx.expectations.ExpectColumnValuesToBeBetween(column="rows_without_value", min_value=0, max_value=0),
        ],
    )
    from orchestration.ingestion.gcp_schema import METADATA_COLUMNS, fields as export_fields

    known = {f["name"] for f in export_fields()} | {name for name, _ in METADATA_COLUMNS}
    problems = frame[(frame["actual_type"].isna()) | (frame["actual_type"] != frame["expected_type"]) | (frame["rows_without_value"] > 0)]
    descriptions = []
    for row in problems.itertuples():
        if row.actual_type is None or pd.isna(row.actual_type):
            descriptions.append(f"{row.field}: missing column (expected {row.expected_type})")
        elif row.actual_type != row.expected_type:
            descriptions.append(f"{row.field}: type {row.actual_type}, expected {row.expected_type}")
        if row.rows_without_value:
            descriptions.append(f"{row.field}: {row.rows_without_value:,} of {total:,} rows have no value")
    summary = (f"{len(fields)} required fields present with their types in {total:,} rows" if success
               else f"export schema problems in {relations.export.name}: " + "; ".join(descriptions))
    return CheckOutcome(
        check_name=EXPORT_SCHEMA, asset_key=relations.export.name, severity=severity, passed=success,
        observed_value=float(len(problems)), threshold=0.0, summary=summary,
        details={
            "rows": total,
            "problems": descriptions,
            "fields": fields,
            "extra_columns": sorted(present - known),
            "expectations": results,
        },
    )
