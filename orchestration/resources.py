"""The resources every domain shares, built once from the settings.

`warehouse` is where the export and the marts are: locally a DuckDB working copy that runs write
(one at a time, orchestration/locks.py) and a published file that readers open, which a
build replaces whole when every blocking check passed (`publish`); or BigQuery (dagster-gcp's
BigQueryResource). Both answer the same few questions, so the checks
are written once: run a query, say whether a table exists and what kind each of its columns is,
append rows. Where a relation is comes from the dbt manifest, never from names written here.
SQL differences between the warehouses live in dbt's dispatched macros; what is left per
warehouse in Python is the client each one needs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource
from dagster_gcp import BigQueryResource

from orchestration.alerts.resource import alerts_resource
from orchestration.locks import hold
from orchestration.processes import dbt_executable
from orchestration.quality.resource import GreatExpectationsResource
from orchestration.settings import DEFAULT_WAREHOUSE_WAIT_SECONDS, PROJECT_ROOT, Settings
from orchestration.transform.project import DbtManifest, Relation

# DuckDB 1.4, the long-term-support line that BI drivers and desktop SQL clients bundle, reads
# files of this storage version and no later one; DuckDB 2.0 writes the published copy in it.
READER_STORAGE_VERSION = "v1.4.0"


class Warehouse(dg.ConfigurableResource):
    """The warehouse dbt builds in. Subclasses connect; relations come from the manifest."""

    manifest_path: str
    """dbt's manifest for the target in use: where the export and every model are."""

    @property
    def manifest(self) -> DbtManifest:
        return DbtManifest.read(Path(self.manifest_path))

    def export(self) -> Relation:
        return self.manifest.export()

    def model(self, name: str) -> Relation:
        return self.manifest.model(name)

    @property
    def name(self) -> str:
        """`duckdb` or `bigquery`, as the dbt target is named."""
        raise NotImplementedError

    @property
    def description(self) -> str:
        """The warehouse in words, for messages."""
        raise NotImplementedError

    def quoted(self, relation: Relation) -> str:
        raise NotImplementedError

    def query(self, sql: str) -> pd.DataFrame:
        raise NotImplementedError

    def exists(self, relation: Relation) -> bool:
        raise NotImplementedError

    def column_kinds(self, relation: Relation) -> dict[str, str]:
        """Each column's kind as the export schema names types: STRING, FLOAT, NUMERIC, TIMESTAMP,
        BOOLEAN, RECORD (a struct), REPEATED (an array). The kind, not the full type: a struct
        gaining members is normal schema drift."""
        raise NotImplementedError

    def append(self, relation: Relation, frame: pd.DataFrame) -> None:
        """Append `frame`'s rows in one transaction (or load job), creating the table (and its
        schema or dataset) from the frame's columns and types when absent."""
        raise NotImplementedError

    def lock(self, purpose: str) -> contextlib.AbstractContextManager:
        """Held while `purpose` writes where the runs write (the DuckDB working copy); nothing to
        hold on BigQuery, whose jobs are its own concurrency."""
        return contextlib.nullcontext()

    def record_build(self, stamp: Mapping[str, str]) -> None:
        """Keep `stamp` (what a build began from, publication.BuildStamp) beside what it builds,
        for the publication to read; it replaces the previous one."""
        raise NotImplementedError

    def recorded_build(self) -> dict[str, str] | None:
        """The last stamp record_build kept, if any."""
        raise NotImplementedError

    def publish(self) -> Publication:
        """Replace what readers see with what the build wrote, all marts at once."""
        raise NotImplementedError


@dataclass(frozen=True)
class Publication:
    where: str
    """What readers open: the published file, or the BigQuery dataset."""
    bytes: int
    seconds: float


class DuckDBWarehouse(Warehouse):
    """The embedded warehouse: a working copy the runs write (`path`), one at a time, and the
    published file readers open (`published_path`), replaced whole by `publish`."""

    duckdb: DuckDBResource
    """Connects to the working copy (profiles.yml's path)."""
    published_path: str
    """CHARGEBACK_DUCKDB_PATH: what BI tools and analysts open, read-only."""
    wait_seconds: float = DEFAULT_WAREHOUSE_WAIT_SECONDS
    """How long to wait for the working copy while another run holds it."""
    settings: dict[str, Any] = {}
    """The profile's DuckDB settings (memory_limit, TimeZone, ...), applied to every connection with
    SET, as dbt-duckdb does: some, such as TimeZone, cannot be given when the file is opened."""

    @property
    def path(self) -> Path:
        """The working copy."""
        return Path(self.duckdb.database)

    @property
    def published(self) -> Path:
        return Path(self.published_path)

    @property
    def name(self) -> str:
        return "duckdb"

    @property
    def description(self) -> str:
        return f"the working copy {self.path} of the warehouse {self.published}"

    @contextlib.contextmanager
    def lock(self, purpose: str) -> Iterator[None]:
        with hold(self.path, purpose, self.wait_seconds):
            self._adopt_published()
            yield

    def _adopt_published(self) -> None:
        """A warehouse published before working copies existed (one file written in place, by
        DuckDB's default storage version) becomes the working copy, its write-ahead log replayed,
        so nothing loaded is lost."""
        if self.path.exists() or not self.published.exists():
            return
        staging = self.path.with_name(self.path.name + ".adopting")
        staging.unlink(missing_ok=True)
        # Attached under the catalog name its views were written with (the file's), read-only.
        catalog = '"' + self.published.stem.replace('"', '""') + '"'
        with duckdb.connect() as con:
            con.execute(f"attach {_sql_literal(str(self.published))} as {catalog} (read_only)")
            con.execute(f"attach {_sql_literal(str(staging))} as adopted (storage_version '{READER_STORAGE_VERSION}')")
            con.execute(f"copy from database {catalog} to adopted")
            con.execute("detach adopted")
        os.replace(staging, self.path)

    def _create(self) -> None:
        """The working copy, created in the storage version DuckDB 1.4 reads: it keeps it, whoever
        writes it later (dbt included), so publishing it is a file copy."""
        if not self.path.exists():
            duckdb.connect(str(self.path), config={"storage_compatibility_version": READER_STORAGE_VERSION}).close()

    @contextlib.contextmanager
    def connection(self, extra_settings: Mapping[str, Any] | None = None, purpose: str = "a query") -> Iterator[Any]:
        """A read-write connection to the working copy, once this process holds it (waiting for
        another run's turn), with the profile's settings and any `extra_settings` of the
        caller's (e.g. the loader's) applied."""
        with self.lock(purpose):
            self._create()
            with self.duckdb.get_connection() as con:
                # Closed here too: DuckDBResource closes only when the block ends without an exception,
                # and a connection left open refuses this process's next one with other settings.
                try:
                    for name, value in {**self.settings, **(extra_settings or {})}.items():
                        con.execute(f"set {name} = {_sql_literal(value)}")
                    yield con
                finally:
                    con.close()

    def _build_stamp_path(self) -> Path:
        return self.path.parent / "build.json"

    def record_build(self, stamp: Mapping[str, str]) -> None:
        self._build_stamp_path().write_text(json.dumps(dict(stamp)))

    def recorded_build(self) -> dict[str, str] | None:
        try:
            stamp = json.loads(self._build_stamp_path().read_text())
        except (OSError, ValueError):
            return None
        return stamp if isinstance(stamp, dict) else None

    @contextlib.contextmanager
    def published_connection(self) -> Iterator[Any]:
        """A read-only connection to the published warehouse, as BI tools and analysts open it:
        never waits for a run, never sees one half done."""
        if not self.published.exists():
            raise FileNotFoundError(f"nothing has been published at {self.published} yet: run `chargeback build`")
        con = duckdb.connect(str(self.published), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def quoted(self, relation: Relation) -> str:
        # The schema and name only: the catalog is the file, whatever its name when dbt parsed.
        return ".".join('"' + part.replace('"', '""') + '"' for part in (relation.schema, relation.identifier))

    def query(self, sql: str) -> pd.DataFrame:
        with self.connection() as con:
            return con.execute(sql).df()

    def exists(self, relation: Relation) -> bool:
        if not self.path.exists() and not self.published.exists():  # a read must not create the file
            return False
        with self.connection() as con:
            found = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [relation.schema, relation.identifier],
            ).fetchone()[0]
        return bool(found)

    def column_kinds(self, relation: Relation) -> dict[str, str]:
        with self.connection() as con:
            rows = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [relation.schema, relation.identifier],
            ).fetchall()
        return {name: _duckdb_kind(data_type) for name, data_type in rows}

    def append(self, relation: Relation, frame: pd.DataFrame) -> None:
        target = self.quoted(relation)
        with self.connection() as con:
            con.register("appended_rows", frame)
            con.execute("begin")
            con.execute(f'create schema if not exists "{relation.schema}"')
            con.execute(f"create table if not exists {target} as select * from appended_rows where false")
            con.execute(f"insert into {target} by name select * from appended_rows")
            con.execute("commit")

    def publish(self) -> Publication:
        """Replace the published file with a copy of the working copy, whole and at once.

        The working copy is checkpointed (everything in the file, no log beside it) and copied
        beside the published file, then renamed over it: a reader that opened the old file keeps
        reading it, the next one opens the new one; nobody sees a mixture, and no reader ever
        blocks this. The working copy is in the storage version DuckDB 1.4 reads (`_create`)."""
        started = time.monotonic()
        staging = self.published.with_name(f".{self.published.name}.publishing")
        with self.lock("the publication"):
            with self.connection(purpose="the publication") as con:
                con.execute("checkpoint")
                [(tags,)] = con.execute(
                    "select tags from duckdb_databases() where database_name = current_database()"
                ).fetchall()
            if not str(tags.get("storage_version", "")).startswith(READER_STORAGE_VERSION):
                raise RuntimeError(
                    f"{self.path} is in storage version {tags.get('storage_version')}, which DuckDB 1.4 cannot read: "
                    "remove it (and its .wal) to have the next run rebuild it from the published file"
                )
            shutil.copyfile(self.path, staging)
            # A log beside the published file is a leftover of in-place writes: never replayed
            # into a published copy.
            Path(str(self.published) + ".wal").unlink(missing_ok=True)
            os.replace(staging, self.published)
        return Publication(str(self.published), self.published.stat().st_size, time.monotonic() - started)


class BigQueryWarehouse(Warehouse):
    """BigQuery: the export read in place; the marts built and checked in `<dataset>_build` (where
    the manifest puts them) and published into `published_dataset`, which readers query."""

    bigquery: BigQueryResource
    published_dataset: str
    """CHARGEBACK_BQ_DATASET, the dataset the dbt target names."""

    @property
    def name(self) -> str:
        return "bigquery"

    @property
    def description(self) -> str:
        return f"BigQuery project {self.bigquery.project}"

    def quoted(self, relation: Relation) -> str:
        return f"`{relation.table_id}`"

    def query(self, sql: str) -> pd.DataFrame:
        with self.bigquery.get_client() as client:
            return client.query(sql).result().to_dataframe()

    def exists(self, relation: Relation) -> bool:
        from google.api_core.exceptions import NotFound

        with self.bigquery.get_client() as client:
            try:
                client.get_table(relation.table_id)
            except NotFound:
                return False
        return True

    def column_kinds(self, relation: Relation) -> dict[str, str]:
        with self.bigquery.get_client() as client:
            schema = client.get_table(relation.table_id).schema
        return {field.name: _bigquery_kind(field.field_type, field.mode) for field in schema}

    def append(self, relation: Relation, frame: pd.DataFrame) -> None:
        from google.cloud import bigquery

        with self.bigquery.get_client() as client:
            dataset = bigquery.Dataset(f"{relation.database}.{relation.schema}")
            dataset.location = self.bigquery.location
            client.create_dataset(dataset, exists_ok=True)
            # A load job: free, unlike streaming inserts, and visible to queries at once.
            job = client.load_table_from_dataframe(
                frame,
                relation.table_id,
                job_config=bigquery.LoadJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_APPEND),
            )
            job.result()  # raises on a failed load, with BigQuery's own error list

    def _build_dataset(self) -> str:
        """`project.dataset` of the marts as dbt builds them (`<dataset>_build`)."""
        [dataset] = {f"{mart.database}.{mart.schema}" for mart in self.manifest.marts()}
        return dataset

    def record_build(self, stamp: Mapping[str, str]) -> None:
        """As labels of the build dataset (created here on the first build): where any machine
        running the publication finds them."""
        from google.cloud import bigquery

        with self.bigquery.get_client() as client:
            dataset = bigquery.Dataset(self._build_dataset())
            dataset.location = self.bigquery.location
            dataset = client.create_dataset(dataset, exists_ok=True)
            # Label values: lowercase letters, digits, `_` and `-` (a run id, a count, epoch seconds).
            dataset.labels = {BUILD_LABEL_PREFIX + key: str(value).lower() for key, value in stamp.items()}
            client.update_dataset(dataset, ["labels"])

    def recorded_build(self) -> dict[str, str] | None:
        from google.api_core.exceptions import NotFound

        with self.bigquery.get_client() as client:
            try:
                labels = client.get_dataset(self._build_dataset()).labels
            except NotFound:
                return None
        stamp = {
            key.removeprefix(BUILD_LABEL_PREFIX): value
            for key, value in labels.items()
            if key.startswith(BUILD_LABEL_PREFIX)
        }
        return stamp or None

    def publish(self) -> Publication:
        """Every mart of the build dataset into the published one, all at once
        (transform/bigquery_publication.py)."""
        from orchestration.transform.bigquery_publication import publish_marts

        started = time.monotonic()
        with self.bigquery.get_client() as client:
            where, size = publish_marts(client, self.manifest.marts(), self.published_dataset, self.bigquery.location)
        return Publication(where, size, time.monotonic() - started)


# The build stamp's labels on the build dataset (BigQueryWarehouse.record_build).
BUILD_LABEL_PREFIX = "chargeback_build_"


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


_DUCKDB_KINDS = (
    ("VARCHAR", "STRING"),
    ("TEXT", "STRING"),
    ("DOUBLE", "FLOAT"),
    ("FLOAT", "FLOAT"),
    ("REAL", "FLOAT"),
    ("DECIMAL", "NUMERIC"),
    ("TIMESTAMP", "TIMESTAMP"),
    ("BOOL", "BOOLEAN"),
    ("STRUCT", "RECORD"),
)


def _duckdb_kind(data_type: str) -> str:
    text = data_type.strip().upper()
    if text.endswith("[]"):
        return "REPEATED"
    return next((kind for prefix, kind in _DUCKDB_KINDS if text.startswith(prefix)), text)


def _bigquery_kind(field_type: str, mode: str | None) -> str:
    if mode == "REPEATED":
        return "REPEATED"
    return {"STRUCT": "RECORD", "FLOAT64": "FLOAT", "BIGNUMERIC": "NUMERIC", "BOOL": "BOOLEAN"}.get(
        field_type, field_type
    )


class LandingFolder(dg.ConfigurableResource):
    """The folder export extracts land in (CHARGEBACK_LANDING_DIR), one extract per folder."""

    path: str


class BusinessMetricsFolder(dg.ConfigurableResource):
    """The folder the business drops unit-metric CSV files in (CHARGEBACK_BUSINESS_METRICS_DIR)."""

    path: str


def warehouse_resource(settings: Settings, project: DbtProject) -> Warehouse:
    manifest = str(project.manifest_path)
    if settings.is_local:
        return DuckDBWarehouse(
            manifest_path=manifest,
            duckdb=DuckDBResource(database=str(settings.duckdb_working_path)),
            published_path=str(settings.duckdb_path),
            wait_seconds=settings.warehouse_wait_seconds,
            settings=dict(settings.duckdb_config),
        )
    return BigQueryWarehouse(
        manifest_path=manifest,
        bigquery=BigQueryResource(project=settings.bigquery_project, location=settings.bigquery_location),
        published_dataset=settings.bigquery_dataset,
    )


def gx_dir(settings: Settings) -> Path:
    """The GX file context (suites, validation results, Data Docs): beside the warehouse file
    locally, so each warehouse (the demo's, a test's) keeps its own; data/gx on BigQuery."""
    if settings.is_local:
        return settings.duckdb_path.parent / "gx"
    return PROJECT_ROOT / "data" / "gx"


def build_resources(settings: Settings, project: DbtProject) -> dict[str, dg.ConfigurableResource]:
    return {
        "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable()),
        "warehouse": warehouse_resource(settings, project),
        "great_expectations": GreatExpectationsResource(gx_dir=str(gx_dir(settings))),
        "landing_folder": LandingFolder(path=str(settings.landing_dir)),
        "business_metrics_folder": BusinessMetricsFolder(path=str(settings.business_metrics_dir)),
        "alerts": alerts_resource(settings),
    }
