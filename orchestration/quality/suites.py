"""The data-quality suites: read figures from the warehouse, judge them with Great Expectations.

GX keeps what it is good at: the export's schema at the boundary, tag coverage and how the
unallocated share moves from day to day. The figures come from dbt (the `quality` models, and the
export's own columns), so the SQL is dbt's and runs on either warehouse; each suite reads a small
table (one row per day or per field), and GX decides pass or fail. The money is not judged here:
conservation is a dbt test (macros/tests/conserves_gcp_export_money.sql).

GX 1.x, its documented path only: context → pandas data source → dataframe asset → whole-frame
batch definition → ExpectationSuite of gx.expectations.Expect* → ValidationDefinition →
Checkpoint, run with the queried DataFrame as the batch parameter (GX has no DuckDB SQL source).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from orchestration.ingestion import gcp_schema
from orchestration.quality.results import CheckOutcome

if TYPE_CHECKING:
    from orchestration.resources import Warehouse

# Check names, as Dagster and the results table show them.
EXPORT_SCHEMA = "gx_export_schema"
TAG_COVERAGE = "gx_tag_coverage"
UNALLOCATED_GROWTH = "gx_unallocated_growth"

# The dbt models the suites read (models/quality/).
COVERAGE_MODEL = "qa_tag_coverage_by_provider_day"
UNTAGGED_MODEL = "qa_untagged_cost_by_sub_account"
COVERAGE_MART = "fct_tag_coverage_daily"  # the asset the coverage checks belong to in Dagster

DATA_SOURCE = "chargeback_warehouse"
TOP_OFFENDERS = 10


@dataclass(frozen=True)
class Thresholds:
    tag_coverage_min: float = 0.90
    attributed_coverage_min: float = 0.98
    unallocated_share_max_increase: float = 0.05
    # A day with fewer line items than this is too small to judge coverage on (tiny test data,
    # the first hours of a month): it is listed, not judged.
    coverage_min_line_items: int = 200


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
        out.append({key: _plain(value) for key, value in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return None if pd.isna(value) else round(value, 6)
    if isinstance(value, (int, str, bool, type(None))):
        return value
    return str(value)


def _select_all(warehouse: Warehouse, model: str, order_by: str) -> pd.DataFrame:
    return warehouse.query(f"select * from {warehouse.quoted(warehouse.model(model))} order by {order_by}")


# --------------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------------
def _share(value: float | None) -> str:
    """A coverage as a percentage; a day or a period that cost nothing has none (free-tier usage,
    credits that cancel the cost): no cost to divide by."""
    return "none (no direct cost)" if value is None else f"{value:.1%}"


def check_tag_coverage(
    validator: GxValidator, warehouse: Warehouse, thresholds: Thresholds, severity: str
) -> CheckOutcome:
    """Per provider and usage day, of the effective cost teams own directly (all but the shares
    of shared-cost pools): ≥ tag_coverage_min attributed by tags (`tag:*`), and
    ≥ attributed_coverage_min by tags and rules (`tag:*`, `rule:*`: virtual-tag rules and the
    folder mapping); the rest is `unallocated`."""
    gx = validator.gx
    daily = _floats(
        _select_all(warehouse, COVERAGE_MODEL, "provider_name, charge_date"),
        [
            "effective_cost",
            "tag_attributed_cost",
            "rule_attributed_cost",
            "direct_cost",
            "tag_coverage",
            "attributed_coverage",
        ],
    )
    daily["line_item_count"] = pd.to_numeric(daily["line_item_count"]).astype("int64")
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
    overall_attributed = (
        float((daily["tag_attributed_cost"].sum() + daily["rule_attributed_cost"].sum()) / total) if total > 0 else None
    )
    worst = float(judged["tag_coverage"].min()) if judged["tag_coverage"].notna().any() else None
    worst_attributed = (
        float(judged["attributed_coverage"].min()) if judged["attributed_coverage"].notna().any() else None
    )
    offenders = warehouse.query(
        f"select provider_name, sub_account_id, service_name, untagged_cost, unallocated_cost, line_item_count "
        f"from {warehouse.quoted(warehouse.model(UNTAGGED_MODEL))} "
        f"where untagged_cost_rank <= {TOP_OFFENDERS} order by untagged_cost_rank"
    )
    offenders = _floats(offenders, ["untagged_cost", "unallocated_cost"])
    if judged.empty:
        summary = f"no provider-day has {thresholds.coverage_min_line_items}+ line items: nothing to judge"
    elif success:
        summary = (
            f"tag coverage ≥ {thresholds.tag_coverage_min:.0%} and tags+rules ≥ "
            f"{thresholds.attributed_coverage_min:.0%} on all {len(judged)} provider-days "
            f"(lowest {_share(worst)}, overall {_share(overall_tag)})"
        )
    else:
        summary = (
            f"{len(below)} of {len(judged)} provider-days below target: lowest tag coverage {_share(worst)} "
            f"(target {thresholds.tag_coverage_min:.0%}), lowest tags+rules {_share(worst_attributed)} "
            f"(target {thresholds.attributed_coverage_min:.0%})"
        )
    return CheckOutcome(
        check_name=TAG_COVERAGE,
        asset_key=COVERAGE_MART,
        severity=severity,
        passed=success,
        observed_value=worst,
        threshold=thresholds.tag_coverage_min,
        summary=summary,
        details={
            "overall_tag_coverage": overall_tag,
            "overall_attributed_coverage": overall_attributed,
            "lowest_tag_coverage": worst,
            "lowest_attributed_coverage": worst_attributed,
            "attributed_coverage_min": thresholds.attributed_coverage_min,
            "days_judged": len(judged),
            "days_too_small_to_judge": int(len(daily) - len(judged)),
            "days_below_target": int(len(below)),
            "worst_days": _records(
                below[["provider_name", "charge_date", "tag_coverage", "attributed_coverage", "direct_cost"]]
            ),
            "top_offenders": _records(offenders),
            "expectations": expectations,
        },
    )


def check_unallocated_growth(
    validator: GxValidator, warehouse: Warehouse, thresholds: Thresholds, severity: str
) -> CheckOutcome:
    """The unallocated share of each provider's daily effective cost rises by at most
    unallocated_share_max_increase (in share points) from one day to the next."""
    gx = validator.gx
    daily = _floats(
        _select_all(warehouse, COVERAGE_MODEL, "provider_name, charge_date"),
        ["unallocated_cost", "unallocated_share", "unallocated_share_increase"],
    )
    success, expectations = validator.validate(
        UNALLOCATED_GROWTH,
        daily[["provider_name", "charge_date", "unallocated_share", "unallocated_share_increase"]],
        [
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="unallocated_share_increase", max_value=thresholds.unallocated_share_max_increase
            )
        ],
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
        check_name=UNALLOCATED_GROWTH,
        asset_key=COVERAGE_MART,
        severity=severity,
        passed=success,
        observed_value=largest,
        threshold=thresholds.unallocated_share_max_increase,
        summary=summary,
        details={
            "days": len(daily),
            "days_above_limit": _records(
                rises.sort_values("unallocated_share_increase", ascending=False)[
                    [
                        "provider_name",
                        "charge_date",
                        "unallocated_share",
                        "unallocated_share_increase",
                        "unallocated_cost",
                    ]
                ]
            ),
            "expectations": expectations,
        },
    )


def required_values_sql(export: str, present: set[str]) -> str:
    """Total rows and, per required field whose column is present, its rows without a value.

    Plain SQL that DuckDB and BigQuery read alike (`a.b` is a struct member on both)."""
    counts = ["count(*) as total_rows"]
    for field in gcp_schema.REQUIRED_FIELDS:
        if field.split(".")[0] in present:
            counts.append(f"count(*) - count({field}) as {_nulls_column(field)}")
    return "select\n    " + ",\n    ".join(counts) + f"\nfrom {export}"


def _nulls_column(field: str) -> str:
    return field.replace(".", "__") + "__nulls"


def check_export_schema(
    validator: GxValidator, warehouse: Warehouse, thresholds: Thresholds, severity: str
) -> CheckOutcome:
    """The export has every required field (ingestion/gcp_schema.REQUIRED_FIELDS) and every
    nullable column the models read, with the kind of type the export schema gives them, and no
    row lacks a required value. Unknown extra columns are fine (schema drift is normal) and only
    listed."""
    gx = validator.gx
    relation = warehouse.export()
    actual = warehouse.column_kinds(relation) if warehouse.exists(relation) else {}
    present = set(actual)
    counts = warehouse.query(required_values_sql(warehouse.quoted(relation), present)) if present else pd.DataFrame()
    total = int(counts["total_rows"].iloc[0]) if not counts.empty else 0
    fields = []
    for field in (*gcp_schema.REQUIRED_FIELDS, *gcp_schema.READ_NULLABLE_COLUMNS):
        column = field.split(".")[0]
        nulls = _nulls_column(field)
        if field not in gcp_schema.REQUIRED_FIELDS:
            missing_values = 0
        elif column not in present:
            missing_values = total
        else:
            missing_values = int(counts[nulls].iloc[0])
        fields.append(
            {
                "field": field,
                "expected_type": gcp_schema.column_kind(column),
                "actual_type": actual.get(column),
                "rows_without_value": missing_values,
            }
        )
    frame = pd.DataFrame(fields)
    success, results = validator.validate(
        EXPORT_SCHEMA,
        frame,
        [
            gx.expectations.ExpectColumnValuesToNotBeNull(column="actual_type"),
            gx.expectations.ExpectColumnPairValuesToBeEqual(column_A="expected_type", column_B="actual_type"),
            gx.expectations.ExpectColumnValuesToBeBetween(column="rows_without_value", min_value=0, max_value=0),
        ],
    )
    known = {f["name"] for f in gcp_schema.fields()} | {name for name, _ in gcp_schema.METADATA_COLUMNS}
    problems = frame[
        (frame["actual_type"].isna())
        | (frame["actual_type"] != frame["expected_type"])
        | (frame["rows_without_value"] > 0)
    ]
    descriptions = []
    for row in problems.itertuples():
        if row.actual_type is None or pd.isna(row.actual_type):
            descriptions.append(f"{row.field}: missing column (expected {row.expected_type})")
        elif row.actual_type != row.expected_type:
            descriptions.append(f"{row.field}: type {row.actual_type}, expected {row.expected_type}")
        if row.rows_without_value:
            descriptions.append(f"{row.field}: {row.rows_without_value:,} of {total:,} rows have no value")
    where = f"{relation.schema}.{relation.identifier}"
    if not present:
        summary = f"the export table {where} does not exist: nothing has been loaded yet"
    elif success:
        summary = f"{len(fields)} required fields present with their types in {total:,} rows"
    else:
        summary = f"export schema problems in {where}: " + "; ".join(descriptions)
    return CheckOutcome(
        check_name=EXPORT_SCHEMA,
        asset_key=relation.identifier,
        severity=severity,
        passed=success,
        observed_value=float(len(problems)),
        threshold=0.0,
        summary=summary,
        details={
            "rows": total,
            "problems": descriptions,
            "fields": fields,
            "extra_columns": sorted(present - known),
            "expectations": results,
        },
    )


CHECKS = {
    EXPORT_SCHEMA: check_export_schema,
    TAG_COVERAGE: check_tag_coverage,
    UNALLOCATED_GROWTH: check_unallocated_growth,
}
