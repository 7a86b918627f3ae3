"""The business's unit metrics as a Dagster asset: CSV files from the metrics folder into the two
raw tables the dbt source `business_metrics` reads, through the warehouse resource (DuckDB or
BigQuery alike). The loading rules are in business_metrics.py.

A refused file does not fail the asset: the metrics are optional, and one bad file must not stop
the chargeback build downstream. It is named in the run log and the metadata, kept in the
deliveries table with its reasons, and fails the asset's check `business_metric_files_accepted`.
"""

import csv
from pathlib import Path

import dagster as dg

from orchestration.ingestion.business_metrics import ingest_business_metrics
from orchestration.locks import WarehouseBusy
from orchestration.resources import BusinessMetricsFolder, Warehouse
from orchestration.settings import PROJECT_ROOT

# The keys dagster-dbt gives the dbt source's tables, so the graph runs from files to marts.
BUSINESS_METRIC_VALUES = dg.AssetKey(["business_metrics", "metric_values"])
BUSINESS_METRIC_DELIVERIES = dg.AssetKey(["business_metrics", "deliveries"])
FILES_ACCEPTED_CHECK = "business_metric_files_accepted"
TEAMS_SEED = PROJECT_ROOT / "seeds" / "teams.csv"


class BusinessMetricsConfig(dg.Config):
    paths: list[str] = []
    """Metric CSV files or folders of them. Empty: the business metrics folder."""


def known_teams(seed: Path = TEAMS_SEED) -> list[str]:
    """The team directory's keys (the seed the configuration check holds to its rules)."""
    with seed.open(newline="", encoding="utf-8") as handle:
        return [row["team"] for row in csv.DictReader(handle)]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            BUSINESS_METRIC_VALUES,
            group_name="ingestion",
            kinds={"csv"},
            description="The business's unit metrics (date, team, metric, value), one row per row of each "
            "delivered file; staging reads the newest loaded delivery of each file.",
        ),
        dg.AssetSpec(
            BUSINESS_METRIC_DELIVERIES,
            group_name="ingestion",
            kinds={"csv"},
            description="Every metrics file seen, once per load: loaded, refused (with every problem) or "
            "skipped as already loaded.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            FILES_ACCEPTED_CHECK,
            asset=BUSINESS_METRIC_DELIVERIES,
            description="Every metrics file of this load was accepted; a refused one is named with its rows "
            "and columns (WARN: the chargeback builds without it).",
        )
    ],
    name="business_metrics",
)
def business_metrics(
    context: dg.AssetExecutionContext,
    config: BusinessMetricsConfig,
    warehouse: Warehouse,
    business_metrics_folder: BusinessMetricsFolder,
):
    paths = [Path(p) for p in config.paths] or [Path(business_metrics_folder.path)]
    try:
        summary = ingest_business_metrics(warehouse, paths, known_teams())
    except WarehouseBusy as exc:
        raise dg.Failure(description=f"Nothing loaded: {exc}") from exc
    for outcome in summary.outcomes:
        if outcome.status == "refused":
            context.log.error(outcome.reason)
        else:
            context.log.info(f"{outcome.file.name}: {outcome.status}, {outcome.rows:,} rows {outcome.reason}".rstrip())
    if not summary.outcomes:
        context.log.info(f"no business metric files in {', '.join(map(str, paths))} (they are optional)")
    metadata = {
        "files_loaded": summary.count("loaded"),
        "files_refused": summary.count("refused"),
        "files_skipped_as_already_loaded": summary.count("skipped_duplicate"),
        "rows_loaded": summary.rows_loaded,
    }
    yield dg.MaterializeResult(asset_key=BUSINESS_METRIC_VALUES, metadata=metadata)
    yield dg.MaterializeResult(
        asset_key=BUSINESS_METRIC_DELIVERIES,
        metadata={**metadata, "refusals": dg.MetadataValue.json([r.reason for r in summary.refusals])},
    )
    yield dg.AssetCheckResult(
        check_name=FILES_ACCEPTED_CHECK,
        asset_key=BUSINESS_METRIC_DELIVERIES,
        passed=not summary.refusals,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"refused_files": dg.MetadataValue.json([r.file.name for r in summary.refusals])},
        description="\n".join(r.reason for r in summary.refusals) or "every file accepted",
    )


def business_metrics_run_config(paths: list[str]) -> dg.RunConfig:
    return dg.RunConfig(ops={business_metrics.op.name: BusinessMetricsConfig(paths=paths)})
