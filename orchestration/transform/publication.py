"""Write, audit, publish: readers see a build only once every blocking check of it has passed.

Locally, a run writes the working copy of the DuckDB warehouse: ingestion loads it, `dbt build`
builds and tests every model in it, the data-quality checks judge it. The last step,
`published_warehouse`, runs only when all of that succeeded (Dagster skips it after a failed step
or a blocking check failing with ERROR) and replaces the published file that readers open with a
copy of the working copy, whole and at once (DuckDBWarehouse.publish). A failed, killed or blocked
run publishes nothing: readers keep the previous build, marts and raw data that agree.

One more guard, because the build and its publication are separate steps: an ingestion that
lands between them (a sensor run, a manual `chargeback ingest`) would publish raw rows no mart
covers. The build records how many files had been loaded when it began (`building`); the
publication refuses, saying so, when that changed.

On BigQuery the build writes the marts dataset directly (docs/bigquery.md says what is missing).
"""

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.ingestion.assets import raw_tables
from orchestration.ingestion.gcp_loader import loaded_file_count
from orchestration.resources import DuckDBWarehouse, Warehouse

PUBLISHED_WAREHOUSE = dg.AssetKey(["published_warehouse"])


@dataclass(frozen=True)
class BuildStamp:
    """What the working copy was last built from, by which run."""

    run_id: str
    loaded_files: int
    started: str

    @staticmethod
    def path(warehouse: DuckDBWarehouse) -> Path:
        return warehouse.path.parent / "build.json"

    @classmethod
    def read(cls, warehouse: DuckDBWarehouse) -> "BuildStamp | None":
        try:
            return cls(**json.loads(cls.path(warehouse).read_text()))
        except (OSError, ValueError, TypeError):
            return None


@contextlib.contextmanager
def building(warehouse: Warehouse, run_id: str) -> Iterator[None]:
    """Held around `dbt build`: the working copy is this run's alone, and what it is built from is
    recorded for the publication to compare."""
    with warehouse.lock(f"the dbt build of run {run_id}"):
        if isinstance(warehouse, DuckDBWarehouse):
            with warehouse.connection(purpose=f"the dbt build of run {run_id}") as con:
                loaded = loaded_file_count(con, raw_tables(warehouse))
            stamp = BuildStamp(run_id, loaded, datetime.now(UTC).isoformat(timespec="seconds"))
            BuildStamp.path(warehouse).write_text(json.dumps(asdict(stamp)))
        yield


def build_publication_asset(built: Iterable[dg.AssetKey]) -> dg.AssetsDefinition:
    """The publication step, downstream of every asset the build materializes (`built`)."""

    @dg.asset(
        key=PUBLISHED_WAREHOUSE,
        deps=sorted(built, key=lambda key: key.to_user_string()),
        group_name="publication",
        kinds={"duckdb"},
        description=(
            "The warehouse readers open (CHARGEBACK_DUCKDB_PATH), replaced whole by a copy of this run's "
            "working copy once every model, dbt test and blocking check has passed; in the storage version "
            "DuckDB 1.4 reads."
        ),
    )
    def published_warehouse(context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
        run_id = context.run.run_id
        with warehouse.lock(f"the publication of run {run_id}"):
            stamp = BuildStamp.read(warehouse)
            if stamp is None or stamp.run_id != run_id:
                built_by = f"run {stamp.run_id}" if stamp else "no recorded run"
                raise dg.Failure(
                    description=(
                        f"Not published: the working copy was last built by {built_by}, not by this run; "
                        "a build publishes in the run that built it (select the dbt assets too)."
                    )
                )
            with warehouse.connection(purpose=f"the publication of run {run_id}") as con:
                loaded = loaded_file_count(con, raw_tables(warehouse))
            if loaded != stamp.loaded_files:
                raise dg.Failure(
                    description=(
                        f"Not published: {loaded - stamp.loaded_files} export file(s) were ingested after this "
                        f"run's build began ({stamp.started}), so its marts do not cover them. Readers keep the "
                        "previous build; the next build publishes both."
                    )
                )
            publication = warehouse.publish()
        context.log.info(
            f"published {publication.path} ({publication.bytes / 1e6:,.1f} MB) in {publication.seconds:.1f} s"
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(publication.path)),
                "megabytes": dg.MetadataValue.float(round(publication.bytes / 1e6, 2)),
                "seconds": dg.MetadataValue.float(round(publication.seconds, 2)),
                "loaded_files": dg.MetadataValue.int(loaded),
            }
        )

    return published_warehouse
