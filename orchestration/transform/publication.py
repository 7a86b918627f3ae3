"""Write, audit, publish: readers see a build only once every blocking check of it has passed.

A run builds out of the readers' sight: locally in the working copy of the DuckDB warehouse
(ingestion loads it, `dbt build` builds and tests every model in it, the data-quality checks judge
it); on BigQuery in the dataset `<dataset>_build`, where dbt puts the marts. The last step,
`published_warehouse`, runs only when all of that succeeded (Dagster skips it after a failed step
or a blocking check failing with ERROR) and replaces what readers see, all marts at once
(Warehouse.publish: a file copy renamed over the published file; one BigQuery transaction). A
failed, killed or blocked run publishes nothing: readers keep the previous build.

Two guards, because the build and its publication are separate steps. The build records which
run made it (`building`), and only that run publishes it: two builds at once cannot publish each
other's half. And locally, an ingestion that lands between them (a sensor run, a manual
`chargeback ingest`) would publish raw rows no mart covers: the build records how many files had
been loaded when it began, and the publication refuses, saying so, when that changed.
"""

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from orchestration.ingestion.assets import raw_tables
from orchestration.ingestion.gcp_loader import loaded_file_count
from orchestration.resources import DuckDBWarehouse, Warehouse

PUBLISHED_WAREHOUSE = dg.AssetKey(["published_warehouse"])


@dataclass(frozen=True)
class BuildStamp:
    """What the build was made from, by which run (kept by Warehouse.record_build)."""

    run_id: str
    started: int
    """Epoch seconds."""
    loaded_files: int | None = None
    """Locally, how many export files had been loaded; on BigQuery the export is read in place."""

    def fields(self) -> dict[str, str]:
        return {name: str(value) for name, value in vars(self).items() if value is not None}

    @classmethod
    def of(cls, fields: dict[str, str] | None) -> "BuildStamp | None":
        try:
            loaded = fields.get("loaded_files")
            return cls(fields["run_id"], int(fields["started"]), None if loaded is None else int(loaded))
        except (AttributeError, KeyError, TypeError, ValueError):
            return None

    @property
    def started_text(self) -> str:
        return datetime.fromtimestamp(self.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _loaded_files(warehouse: Warehouse, purpose: str) -> int | None:
    """How many export files the local warehouse has loaded (None on BigQuery: nothing is loaded)."""
    if not isinstance(warehouse, DuckDBWarehouse):
        return None
    with warehouse.connection(purpose=purpose) as con:
        return loaded_file_count(con, raw_tables(warehouse))


@contextlib.contextmanager
def building(warehouse: Warehouse, run_id: str) -> Iterator[None]:
    """Held around `dbt build`: the working copy is this run's alone, and what it is built from is
    recorded for the publication to compare."""
    purpose = f"the dbt build of run {run_id}"
    with warehouse.lock(purpose):
        warehouse.record_build(BuildStamp(run_id, int(time.time()), _loaded_files(warehouse, purpose)).fields())
        yield


def build_publication_asset(built: Iterable[dg.AssetKey], warehouse_name: str = "duckdb") -> dg.AssetsDefinition:
    """The publication step, downstream of every asset the build materializes (`built`), on the
    warehouse named `warehouse_name` (`duckdb` or `bigquery`)."""
    readers_see = {
        "duckdb": "The warehouse readers open (CHARGEBACK_DUCKDB_PATH), replaced whole by a copy of this run's "
        "working copy, in the storage version DuckDB 1.4 reads,",
        "bigquery": "The marts dataset readers query (CHARGEBACK_BQ_DATASET), every mart replaced in one "
        "transaction by the tables this run built in <dataset>_build,",
    }[warehouse_name]

    @dg.asset(
        key=PUBLISHED_WAREHOUSE,
        deps=sorted(built, key=lambda key: key.to_user_string()),
        group_name="publication",
        kinds={warehouse_name},
        description=f"{readers_see} once every model, dbt test and blocking check has passed.",
    )
    def published_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        run_id = context.run.run_id
        purpose = f"the publication of run {run_id}"
        with warehouse.lock(purpose):
            stamp = BuildStamp.of(warehouse.recorded_build())
            if stamp is None or stamp.run_id != run_id:
                built_by = f"run {stamp.run_id}" if stamp else "no recorded run"
                raise dg.Failure(
                    description=(
                        f"Not published: the last build in {warehouse.description} was made by {built_by}, not by "
                        "this run; a build publishes in the run that built it (select the dbt assets too)."
                    )
                )
            loaded = _loaded_files(warehouse, purpose)
            if loaded != stamp.loaded_files:
                raise dg.Failure(
                    description=(
                        f"Not published: {loaded - stamp.loaded_files} export file(s) were ingested after this "
                        f"run's build began ({stamp.started_text}), so its marts do not cover them. Readers keep "
                        "the previous build; the next build publishes both."
                    )
                )
            publication = warehouse.publish()
        context.log.info(
            f"published {publication.where} ({publication.bytes / 1e6:,.1f} MB) in {publication.seconds:.1f} s"
        )
        return dg.MaterializeResult(
            metadata={
                "published": dg.MetadataValue.text(publication.where),
                "megabytes": dg.MetadataValue.float(round(publication.bytes / 1e6, 2)),
                "seconds": dg.MetadataValue.float(round(publication.seconds, 2)),
                **({"loaded_files": dg.MetadataValue.int(loaded)} if loaded is not None else {}),
            }
        )

    return published_warehouse
