"""The GCP billing export as a Dagster asset: files from the landing folder into raw DuckDB tables."""

from pathlib import Path

import dagster as dg

from orchestration.ingestion.gcp_loader import LOAD_CONNECTION_CONFIG, GcpIngestionError, RawTables, ingest_gcp_files
from orchestration.locks import WarehouseBusy
from orchestration.resources import DuckDBWarehouse, LandingFolder

# The same key dagster-dbt gives the dbt source, so the graph runs from files to marts.
GCP_BILLING_EXPORT = dg.AssetKey(["gcp_billing_export", "detailed_usage_cost"])


class GcpIngestionConfig(dg.Config):
    paths: list[str] = []
    """Export files or folders of them. Empty: everything in the landing folder
    (files already loaded are recognised by checksum and skipped)."""


def raw_tables(warehouse: DuckDBWarehouse) -> RawTables:
    """Where the loader writes: the export table where the dbt source reads it (the manifest)."""
    export = warehouse.export()
    return RawTables(export.schema, export.identifier)


@dg.asset(
    key=GCP_BILLING_EXPORT,
    group_name="ingestion",
    kinds={"duckdb", "gcp"},
    description=(
        "GCP Cloud Billing detailed usage cost export rows in raw.gcp_billing_export_resource_v1, "
        "nesting intact. Each extract (a folder of shard files) replaces what earlier loads put in "
        "the same billing account and export days; late rows add; a file loaded twice changes nothing."
    ),
)
def gcp_billing_export(
    context: dg.AssetExecutionContext,
    config: GcpIngestionConfig,
    warehouse: DuckDBWarehouse,
    landing_folder: LandingFolder,
) -> dg.MaterializeResult:
    paths = [Path(p) for p in config.paths] or [Path(landing_folder.path)]
    try:
        with warehouse.connection(LOAD_CONNECTION_CONFIG, purpose=f"the ingestion of run {context.run.run_id}") as con:
            results = ingest_gcp_files(con, paths, raw_tables(warehouse))
    except WarehouseBusy as exc:
        # The cause first, where Dagster and `chargeback ingest` show it; the sensor asks again.
        raise dg.Failure(description=f"Nothing loaded: {exc}") from exc
    except GcpIngestionError as exc:
        # A Failure, not the bare exception: Dagster then shows this message itself (in the UI and
        # in `chargeback ingest`) rather than "error occurred while executing op", and the place
        # as metadata. The loader has rolled the extract back; the warehouse is as it was.
        raise dg.Failure(
            description=f"Ingestion refused, nothing of this extract was loaded: {exc}",
            metadata={
                "file": str(exc.file) if exc.file else "",
                "line": exc.line if exc.line is not None else "",
                "field": exc.field or "",
            },
        ) from exc
    for result in results:
        context.log.info(
            f"{result.extract}: {result.rows_loaded:,} rows from {len(result.files)} files, "
            f"{result.rows_replaced:,} earlier rows replaced, {result.files_skipped} files already loaded"
        )
        if result.superseded:
            # Not an error: a stale extract (re-landed or loaded late) must not replace a newer one.
            context.log.warning(
                f"{result.extract}: not loaded for {', '.join(f'{a} {d}' for a, d in result.superseded)}: "
                "an extract with later export times is already loaded for those export days"
            )
        if result.unknown_fields:
            # Schema drift is normal (Google adds columns): the rows load, the new fields are
            # named here, in the metadata below and in raw.gcp_ingestion_log.unknown_fields.
            context.log.warning(
                f"{result.extract}: fields not in the export schema, loaded without them: "
                f"{', '.join(result.unknown_fields)}"
            )
    return dg.MaterializeResult(
        metadata={
            "extracts": len(results),
            "rows_loaded": sum(r.rows_loaded for r in results),
            "rows_replaced": sum(r.rows_replaced for r in results),
            "files_loaded": sum(len(r.files) for r in results),
            "files_skipped_as_already_loaded": sum(r.files_skipped for r in results),
            "export_dates": dg.MetadataValue.json(sorted({str(d) for r in results for d in r.export_dates})),
            "unknown_fields": dg.MetadataValue.json(sorted({f for r in results for f in r.unknown_fields})),
            "export_days_skipped_as_superseded": dg.MetadataValue.json(
                sorted({f"{a} {d}" for r in results for a, d in r.superseded})
            ),
        }
    )


def ingestion_run_config(paths: list[str]) -> dg.RunConfig:
    return dg.RunConfig(ops={gcp_billing_export.op.name: GcpIngestionConfig(paths=paths)})
