"""Load GCP detailed billing export files (BigQuery extracts) into DuckDB.

The export is append-only; what can arrive twice is an export day. One ingestion is one
extract (the shard files of one folder). In one transaction it replaces every earlier row
with the same (billing_account_id, export day) as its new rows, then inserts them. A file
already loaded whose rows are still live is skipped. See PRODUCT.md, "Loading semantics".

The load path: discover the extracts, then per extract stage its rows (gcp_readers), check
them, drop what a newer extract already covers, replace, insert and log. When DuckDB refuses
a file, gcp_diagnostics says where and why (GcpIngestionError).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from . import gcp_schema as schema
from .gcp_diagnostics import GcpIngestionError, diagnose, duplicate_line_items
from .gcp_readers import (
    NDJSON_SUFFIXES,
    PARQUET_SUFFIXES,
    ExportFile,
    ndjson_select,
    parquet_select,
)
from .gcp_values import ValueBounds, bad_values_sql
from .line_item_key import line_item_key_sql

__all__ = [
    "LOAD_CONNECTION_CONFIG",
    "GcpIngestionError",
    "IngestionResult",
    "RawTables",
    "ValueBounds",
    "discover_extracts",
    "ensure_raw_tables",
    "ingest_gcp_files",
]

log = logging.getLogger(__name__)

# One extract's rows, read and checked before they replace anything (temporary, per connection).
INCOMING = "gcp_incoming_extract"

EXPORT_TABLE_PREFIX = "gcp_billing_export_resource_v1_"

# Settings of the connection the loader is given, for big extracts (with a memory_limit of the
# caller's choosing). What is loaded does not depend on them; the memory and the writes do.
LOAD_CONNECTION_CONFIG = {
    # Rows need no order in the raw table; dropping it lets DuckDB stream with less memory.
    "preserve_insertion_order": False,
    # Checkpoint less often while an extract loads (DuckDB's default is 16 MiB of WAL).
    "checkpoint_threshold": "1GB",
}


@dataclass(frozen=True)
class RawTables:
    """Where the loader writes: the export table the dbt source reads (its schema and name come
    from the manifest: CHARGEBACK_EXPORT_DATASET and _TABLE, raw.gcp_billing_export_resource_v1 by
    default) and, beside it, the ingestion log."""

    schema: str
    export_table: str

    @property
    def export(self) -> str:
        return f"{schema.quote(self.schema)}.{schema.quote(self.export_table)}"

    @property
    def log(self) -> str:
        return f"{schema.quote(self.schema)}.{schema.quote(schema.LOG_TABLE)}"


# Unknown keys are looked for in this many lines per file: a full second pass would cost
# about as much as the load itself, and a new column appears on every row.
UNKNOWN_KEY_SAMPLE_LINES = 1000


@dataclass(frozen=True)
class IngestionResult:
    ingestion_id: str
    extract: Path
    files: tuple[Path, ...]
    rows_loaded: int
    rows_replaced: int
    files_skipped: int
    billing_account_ids: tuple[str, ...]
    export_dates: tuple[dt.date, ...]
    unknown_fields: tuple[str, ...]
    # (billing account, export day) of the extract that an extract loaded before covers further
    # (a later export_time): not loaded, so an older extract never replaces a newer one.
    superseded: tuple[tuple[str, dt.date], ...] = ()


# --------------------------------------------------------------------------- discovery


def _is_export_file(path: Path) -> bool:
    return path.name.endswith(NDJSON_SUFFIXES + PARQUET_SUFFIXES)


def _walk(folder: Path) -> list[Path]:
    """Export files under a folder. Where the BigQuery layout (a folder per export table) is
    present, only its files count: neighbours such as a generator's manifest.json or ground
    truth, or a standard (non-resource) export that would double-count, are not extracts."""
    found = [p.resolve() for p in folder.rglob("*") if p.is_file() and _is_export_file(p)]
    in_layout = [p for p in found if any(part.startswith(EXPORT_TABLE_PREFIX) for part in p.parts)]
    return in_layout or found


def discover_extracts(paths: Sequence[Path]) -> list[list[Path]]:
    """Group files by folder (one folder = one extract), in load order.

    `extract=YYYYMMDDTHHMMSSZ` folder names sort chronologically, so a partial extract of a
    day is loaded before its complete re-extract.
    """
    files: set[Path] = set()
    for path in map(Path, paths):
        if path.is_dir():
            files.update(_walk(path))
        elif path.is_file():
            files.add(path.resolve())
        else:
            raise FileNotFoundError(path)
    groups: dict[Path, list[Path]] = {}
    for file in sorted(files):
        groups.setdefault(file.parent, []).append(file)
    return [groups[folder] for folder in sorted(groups)]


# --------------------------------------------------------------------------- entry points


def ingest_gcp_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], tables: RawTables, bounds: ValueBounds | None = None
) -> list[IngestionResult]:
    """Load every extract found in `paths` into `tables` through `con`, each in its own transaction.

    Rows are held to the value rules of gcp_values within `bounds` (default: read from the
    environment, around the current time).

    `con` is a read-write connection to the warehouse, not inside a transaction (each extract
    commits or rolls back its own); whoever opened it closes it. What is loaded does not depend
    on its settings; for big extracts open it with LOAD_CONNECTION_CONFIG and a memory_limit.
    A refused extract raises GcpIngestionError after its rollback: the extracts before it stay
    loaded, and the connection can be used again.
    """
    bounds = ValueBounds.from_env() if bounds is None else bounds
    ensure_raw_tables(con, tables)
    return [_ingest_extract(con, group, tables, bounds) for group in discover_extracts(paths)]


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, tables: RawTables) -> None:
    """Create the raw export table and the ingestion log if they are not there."""
    columns = ",\n  ".join(f"{schema.quote(n)} {t}" for n, t in schema.raw_columns())
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.quote(tables.schema)}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {tables.export} (\n  {columns}\n)")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {tables.log} (
        ingestion_id VARCHAR, extract VARCHAR, file VARCHAR, sha256 VARCHAR, bytes BIGINT,
        row_count BIGINT, billing_account_ids VARCHAR[], export_dates DATE[],
        rows_replaced BIGINT, unknown_fields VARCHAR[], status VARCHAR, loaded_at TIMESTAMP)""")


def loaded_file_count(con: duckdb.DuckDBPyConnection, tables: RawTables) -> int:
    """How many files have changed the raw table so far: any ingestion that loads a row raises
    it, a skipped or refused one does not. The publication compares it before and after a build."""
    ensure_raw_tables(con, tables)
    return con.execute(f"SELECT count(*) FROM {tables.log} WHERE status = 'loaded'").fetchone()[0]


# --------------------------------------------------------------------------- one ingestion


def _ingest_extract(
    con: duckdb.DuckDBPyConnection, paths: list[Path], tables: RawTables, bounds: ValueBounds
) -> IngestionResult:
    files = [_fingerprint(p) for p in paths]
    ingestion_id = f"gcp-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    con.begin()
    try:
        live = _live_copies(con, files, tables)
        new = _first_of_each_sha([f for f in files if f.sha256 not in live])
        skipped = [f for f in files if f not in new]
        # The extract is read into a temporary table first, so that checks, statistics and the
        # keys to replace look at its rows only, never at the whole (growing) raw table.
        _stage_rows(con, ingestion_id, new, tables)
        _check_staged_rows(con, new, bounds)
        staged = dict(con.execute(f"SELECT _source_file, count(*) FROM {INCOMING} GROUP BY 1").fetchall())
        superseded = _drop_superseded(con, tables, kept=list(live.values()))
        stats = _file_stats(con)
        keys = sorted({(account, day) for _, accounts, days in stats.values() for account in accounts for day in days})
        rows_replaced = _replace_earlier_rows(con, tables, keys, kept=list(live.values()))
        con.execute(f"INSERT INTO {tables.export} SELECT * FROM {INCOMING}")
        con.execute(f"DROP TABLE {INCOMING}")
        unknown = {f.path: _unknown_fields(con, f) for f in new}
        _write_log(con, tables, ingestion_id, new, skipped, stats, unknown, rows_replaced, staged)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    result = IngestionResult(
        ingestion_id=ingestion_id,
        extract=paths[0].parent,
        files=tuple(paths),
        rows_loaded=sum(s[0] for s in stats.values()),
        rows_replaced=rows_replaced,
        files_skipped=len(skipped),
        billing_account_ids=tuple(sorted({account for account, _ in keys})),
        export_dates=tuple(sorted({day for _, day in keys})),
        unknown_fields=tuple(sorted({k for keys_ in unknown.values() for k in keys_})),
        superseded=tuple(superseded),
    )
    log.info("GCP ingestion %s: %s", ingestion_id, result)
    if superseded:
        log.warning(
            "GCP extract %s is older than what is loaded for %s: those days were not loaded", result.extract, superseded
        )
    if result.unknown_fields:
        log.warning("GCP export has fields not in the schema (ignored): %s", result.unknown_fields)
    return result


def _fingerprint(path: Path) -> ExportFile:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return ExportFile(path, digest.hexdigest(), path.stat().st_size)


def _live_copies(
    con: duckdb.DuckDBPyConnection, files: list[ExportFile], tables: RawTables
) -> dict[str, tuple[str, str]]:
    """sha256 -> (ingestion_id, file) of an earlier load of the same bytes whose rows are live."""
    seen = con.execute(
        f"""
        SELECT sha256, ingestion_id, file FROM {tables.log}
        WHERE status = 'loaded' AND list_contains(?, sha256)""",
        [[f.sha256 for f in files]],
    ).fetchall()
    live: dict[str, tuple[str, str]] = {}
    # Only files loaded before are looked up in the raw table (usually none are).
    for sha, ingestion_id, file in seen:
        if (
            sha not in live
            and con.execute(
                f"SELECT 1 FROM {tables.export} WHERE _ingestion_id = ? AND _source_file = ? LIMIT 1",
                [ingestion_id, file],
            ).fetchone()
        ):
            live[sha] = (ingestion_id, file)
    return live


def _first_of_each_sha(files: list[ExportFile]) -> list[ExportFile]:
    """The same bytes twice within one extract are loaded once."""
    seen: dict[str, ExportFile] = {}
    for f in files:
        seen.setdefault(f.sha256, f)
    return list(seen.values())


def _replace_earlier_rows(
    con: duckdb.DuckDBPyConnection, tables: RawTables, keys: list[tuple[str, dt.date]], kept: list[tuple[str, str]]
) -> int:
    """Delete earlier rows of the (account, export day) keys this ingestion brings.

    Rows of a file skipped as a duplicate in this same extract stay: they are part of it.
    """
    if not keys:
        return 0
    # The date range is redundant with the key list but lets DuckDB's zone maps skip every
    # row group of other days, so a daily load does not scan the whole history.
    key_clause = " OR ".join("(billing_account_id = ? AND _export_date = ?)" for _ in keys)
    keep_clause = "".join(" AND NOT (_ingestion_id = ? AND _source_file = ?)" for _ in kept)
    params = [min(day for _, day in keys), max(day for _, day in keys)]
    params += [v for key in keys for v in key] + [v for pair in kept for v in pair]
    deleted = con.execute(
        f"""
        DELETE FROM {tables.export}
        WHERE _export_date BETWEEN ? AND ? AND ({key_clause}){keep_clause}""",
        params,
    ).fetchone()
    return int(deleted[0]) if deleted else 0


def _drop_superseded(
    con: duckdb.DuckDBPyConnection, tables: RawTables, kept: list[tuple[str, str]]
) -> list[tuple[str, dt.date]]:
    """Drop the staged rows of each (account, export day) already loaded from a newer extract.

    The export is append-only, so a later extract of a day holds every row of an earlier one and
    reaches a later export_time. An extract whose latest export_time for a day is older than the
    loaded one's is therefore a stale copy (a partial extract re-landed or loaded after the
    complete one, an old folder ingested again): replacing with it would lose rows. Equal times
    (the same extract again, or a re-compressed copy) still replace. Rows of this extract's own
    shards loaded before (`kept`) count as this extract's.
    """
    incoming = {
        (a, d): t
        for a, d, t in con.execute(
            f"SELECT billing_account_id, _export_date, max(export_time) FROM {INCOMING} GROUP BY 1, 2"
        ).fetchall()
    }
    if not incoming:
        return []
    days = [d for _, d in incoming]
    key_clause = " OR ".join("(billing_account_id = ? AND _export_date = ?)" for _ in incoming)
    kept_clause = " OR ".join("(_ingestion_id = ? AND _source_file = ?)" for _ in kept) or "false"
    # In placeholder order: the kept flag in the select list, then the day range, then the keys.
    params = [v for pair in kept for v in pair] + [min(days), max(days)] + [v for key in incoming for v in key]
    loaded: dict[tuple[str, dt.date], dt.datetime] = {}
    for account, day, is_kept, latest in con.execute(
        f"""
            SELECT billing_account_id, _export_date, {kept_clause}, max(export_time) FROM {tables.export}
            WHERE _export_date BETWEEN ? AND ? AND ({key_clause}) GROUP BY 1, 2, 3""",
        params,
    ).fetchall():
        if is_kept:
            incoming[(account, day)] = max(incoming[(account, day)], latest)
        else:
            loaded[(account, day)] = latest
    superseded = sorted(key for key, latest in loaded.items() if latest > incoming[key])
    for account, day in superseded:
        con.execute(f"DELETE FROM {INCOMING} WHERE billing_account_id = ? AND _export_date = ?", [account, day])
    return superseded


def _file_stats(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """file -> (rows, account ids, export dates) of the staged rows."""
    rows = con.execute(f"""
        SELECT _source_file, count(*), list(DISTINCT billing_account_id ORDER BY billing_account_id),
               list(DISTINCT _export_date ORDER BY _export_date)
        FROM {INCOMING} GROUP BY _source_file""").fetchall()
    return {file: (n, tuple(accounts), tuple(dates)) for file, n, accounts, dates in rows}


def _write_log(con, tables, ingestion_id, new, skipped, stats, unknown, rows_replaced, staged) -> None:
    """One row per file. A skipped file loads nothing, so its row_count is 0; a file whose rows
    were all of superseded days is `skipped_superseded` (not live, so looked at again next time)."""
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for f in new:
        n, accounts, dates = stats.get(str(f.path), (0, (), ()))
        status = "skipped_superseded" if n == 0 and staged.get(str(f.path), 0) > 0 else "loaded"
        rows.append(
            (
                ingestion_id,
                str(f.path.parent),
                str(f.path),
                f.sha256,
                f.bytes,
                n,
                list(accounts),
                list(dates),
                rows_replaced,
                unknown[f.path],
                status,
                loaded_at,
            )
        )
    for f in skipped:
        rows.append(
            (
                ingestion_id,
                str(f.path.parent),
                str(f.path),
                f.sha256,
                f.bytes,
                0,
                [],
                [],
                rows_replaced,
                [],
                "skipped_duplicate",
                loaded_at,
            )
        )
    con.executemany(f"INSERT INTO {tables.log} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


# --------------------------------------------------------------------------- staging and checking


def _stage_rows(con: duckdb.DuckDBPyConnection, ingestion_id: str, files: list[ExportFile], tables: RawTables) -> None:
    """Read all rows of the files into the temporary INCOMING table with DuckDB's readers;
    on failure, say where and why."""
    con.execute(f"CREATE TEMP TABLE {INCOMING} AS SELECT * FROM {tables.export} LIMIT 0")
    # A 0-byte file is an empty extract shard: 0 rows, nothing for a reader to open.
    readable = [f for f in files if f.bytes > 0]
    ndjson = [f for f in readable if not f.is_parquet]
    parquet = [f for f in readable if f.is_parquet]
    for batch, select in ((ndjson, ndjson_select), (parquet, parquet_select)):
        if not batch:
            continue
        try:
            con.execute(f"INSERT INTO {INCOMING} {select(con, batch)}", [ingestion_id])
        except duckdb.Error as exc:
            raise diagnose(batch, exc) from exc


def _check_staged_rows(con: duckdb.DuckDBPyConnection, files: list[ExportFile], bounds: ValueBounds) -> None:
    """Refuse what the readers let through but the marts cannot use: a row without a required
    field (schema.REQUIRED_FIELDS), a FLOAT that is NaN or infinite ("NaN", "Infinity" and 1e999
    all read as DOUBLE), or a value breaking a rule of gcp_values (an invoice month 202613, a
    usage in 1970, an export before the usage). One pass over the staged rows; the diagnosis then
    names the line. Then two rows with one line item key (line_item_key.py): both are named."""
    missing = [f"{schema.field_sql(name)} IS NULL" for name in schema.REQUIRED_FIELDS]
    non_finite = [e for f in schema.fields() if (e := schema.non_finite_sql(f, schema.quote(f["name"])))]
    out_of_bounds = bad_values_sql(schema.field_sql, bounds)
    bad = con.execute(f"""
        SELECT DISTINCT _source_file FROM {INCOMING}
        WHERE {" OR ".join([*missing, *non_finite, out_of_bounds])}""").fetchall()
    if bad:
        bad_files = {b[0] for b in bad}
        raise diagnose([f for f in files if str(f.path) in bad_files], None, bounds)
    # Two rows alike in every field of the line item key would share one line_item_id and fail
    # every later build's unique test (grouped by its md5, as staging hashes it).
    repeated = con.execute(f"""
        SELECT any_value(key), list(DISTINCT _source_file) FROM (
            SELECT {line_item_key_sql(schema.field_sql)} AS key, _source_file FROM {INCOMING})
        GROUP BY md5(key) HAVING count(*) > 1 LIMIT 1""").fetchone()
    if repeated:
        key, in_files = repeated
        raise duplicate_line_items([f for f in files if str(f.path) in in_files], key)


# --------------------------------------------------------------------------- unknown keys


def _unknown_fields(con: duckdb.DuckDBPyConnection, f: ExportFile) -> list[str]:
    """Dotted paths of keys the schema does not know (sampled; see UNKNOWN_KEY_SAMPLE_LINES)."""
    if f.bytes == 0:
        return []
    if f.is_parquet:
        import pyarrow.parquet as pq

        names = pq.read_schema(f.path).names
        known = {field["name"] for field in schema.fields()}
        return sorted(set(names) - known)
    # DuckDB merges the structure of the sampled objects into one: every key that occurs.
    structure = con.execute(
        "SELECT json_group_structure(json) FROM (SELECT json FROM read_json_objects(?, "
        f"format='newline_delimited') LIMIT {UNKNOWN_KEY_SAMPLE_LINES})",
        [str(f.path)],
    ).fetchone()[0]
    found: set[str] = set()
    if structure:
        _collect_unknown(schema.fields(), orjson.loads(structure), "", found)
    return sorted(found)


def _collect_unknown(fields: Sequence[dict], structure: dict, prefix: str, found: set[str]) -> None:
    by_name = {field["name"]: field for field in fields}
    for key, value in structure.items():
        field = by_name.get(key)
        if field is None:
            found.add(prefix + key)
            continue
        nested = value[0] if isinstance(value, list) and value else value
        if field["type"] == "RECORD" and isinstance(nested, dict):
            _collect_unknown(field["fields"], nested, f"{prefix}{key}.", found)
